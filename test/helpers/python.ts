/**
 * The Python the Python-model tests run apps with: one that has pydantic v2. `MOOSE_PYTHON` when set,
 * else the virtualenv scripts/test-all creates (`.moose/python-venv`, pydantic from PyPI), else the
 * machine's `python3` when it has pydantic. No such Python is a test failure, not a skip: these
 * tests guard a feature.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
export const TEST_VENV_PYTHON = path.join(REPO_ROOT, ".moose", "python-venv", "bin", "python");

let found: string | undefined;

export function testPython(): string {
  if (found) return found;
  const candidates = [process.env.MOOSE_PYTHON, TEST_VENV_PYTHON, "python3"].filter((candidate): candidate is string => !!candidate);
  for (const candidate of candidates) {
    if (candidate.includes(path.sep) && !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ["-c", "import pydantic, sys; sys.exit(0 if pydantic.VERSION.startswith('2.') else 1)"], { stdio: "ignore" });
    if (probe.status === 0) return (found = candidate);
  }
  throw new Error(`no Python with pydantic v2 (tried ${candidates.join(", ")}): run scripts/python-venv (scripts/test-all does) or set MOOSE_PYTHON`);
}
