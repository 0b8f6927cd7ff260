/**
 * `moose init <dir> --language python`: the docs' Python app — moose.config.toml with
 * `language = "Python"`, app/main.py (UserSchema, Users table, UserEvents stream) importing
 * `moose_ts`, requirements.txt (pydantic v2), package.json (the moose CLI, as in a TypeScript
 * project), .gitignore — and a virtualenv in .venv with the
 * requirements installed, when `python3 -m venv` works. The CLI brings the `moose_ts` package itself
 * (its python/ folder is put on PYTHONPATH whenever it runs the app), so the CLI and the SDK always
 * agree; `pip install -e <moose-ts>/python` makes it visible to an editor too.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { pythonSdkDir } from "../../extract/python/index.js";
import type { MooseTsPackage } from "../package-info.js";
import { mooseTsDependency, packageName } from "./init.js";

export function pythonScaffoldFiles(configToml: string, directoryName: string, mooseTs: MooseTsPackage): Record<string, string> {
  return {
    "package.json": packageJson(directoryName, mooseTs),
    "moose.config.toml": `language = "Python"\n\n${configToml}`,
    "app/__init__.py": "",
    "app/main.py": APP_MAIN_PY,
    "requirements.txt": REQUIREMENTS_TXT,
    ".gitignore": GITIGNORE,
  };
}

export interface VirtualenvResult {
  ok: boolean;
  /** What happened, one line per step, for the user. */
  lines: string[];
}

/** `python3 -m venv .venv`, then `.venv/bin/python -m pip install -r requirements.txt`; stops at the first failure. */
export async function createVirtualenv(projectDir: string, python = "python3"): Promise<VirtualenvResult> {
  const venv = await run(python, ["-m", "venv", ".venv"], projectDir);
  if (venv.code !== 0) {
    return { ok: false, lines: [`could not create .venv (${python} -m venv .venv): ${lastLine(venv.output)}`, "create a virtualenv and install requirements.txt into it yourself"] };
  }
  const venvPython = path.join(projectDir, ".venv", process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  const pip = await run(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", "requirements.txt"], projectDir);
  if (pip.code !== 0) {
    return { ok: false, lines: ["created .venv", `could not install requirements.txt into it: ${lastLine(pip.output)}`, "run: .venv/bin/pip install -r requirements.txt"] };
  }
  return { ok: true, lines: ["created .venv with pydantic (requirements.txt)", `for your editor: .venv/bin/pip install -e ${pythonSdkDir()}`] };
}

function lastLine(output: string): string {
  return output.trim().split("\n").at(-1) ?? "";
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error) => resolve({ code: -1, output: error.message }));
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** The moose CLI itself is an npm package: `npm install` then `npx moose dev`, as in a TypeScript project. */
function packageJson(directoryName: string, mooseTs: MooseTsPackage): string {
  const manifest = {
    name: packageName(directoryName),
    version: "0.0.0",
    private: true,
    scripts: { dev: "moose dev", build: "moose build", plan: "moose plan" },
    dependencies: { "moose-ts": mooseTsDependency(mooseTs) },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

const APP_MAIN_PY = `from pydantic import BaseModel

from moose_ts import OlapTable, Stream


class UserSchema(BaseModel):
    id: str
    name: str
    email: str


users_table = OlapTable[UserSchema]("Users")
user_events = Stream[UserSchema]("UserEvents")
`;

const REQUIREMENTS_TXT = `pydantic>=2,<3
`;

const GITIGNORE = `.moose/
node_modules/
.venv/
__pycache__/
# rewritten by \`moose dev\` on every save; \`moose migrate generate\` turns it into a reviewed file
migrations/draft.ts
`;
