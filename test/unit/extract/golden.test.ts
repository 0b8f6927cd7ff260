/**
 * Golden folders (see test/README.md): golden/valid/<case>/app/** → manifest.json (every column's
 * exact ClickHouse type), golden/invalid/<case>/input.ts → expected-error.json (code, file:line:col,
 * field path). Regenerate with UPDATE_GOLDEN=1 and review the diff.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { extractManifest } from "../../../src/extract/index.js";
import { canonicalManifestJson } from "../../../src/manifest/canonical.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const scratch = mkdtempSync(path.join(tmpdir(), "moose-extract-golden-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cases(kind: "valid" | "invalid"): string[] {
  return readdirSync(path.join(GOLDEN, kind)).sort();
}

describe("valid models → manifest.json", () => {
  for (const name of cases("valid")) {
    it(name, async () => {
      const caseDir = path.join(GOLDEN, "valid", name);
      const projectDir = path.join(scratch, "valid", name);
      cpSync(path.join(caseDir, "app"), path.join(projectDir, "app"), { recursive: true });
      const actual = canonicalManifestJson(await extractManifest({ projectDir }));
      const expectedFile = path.join(caseDir, "manifest.json");
      if (UPDATE) writeFileSync(expectedFile, actual);
      expect(existsSync(expectedFile), `${expectedFile} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(actual).toBe(readFileSync(expectedFile, "utf8"));
    });
  }
});

interface ExpectedError {
  code: string;
  location: { file: string; line: number; col?: number };
  /** Field path the message must name (type errors). */
  path?: string;
  /** Text the message must contain. */
  message: string;
}

describe("invalid models → expected-error.json", () => {
  for (const name of cases("invalid")) {
    it(name, async () => {
      const caseDir = path.join(GOLDEN, "invalid", name);
      const projectDir = path.join(scratch, "invalid", name);
      mkdirSync(path.join(projectDir, "app"), { recursive: true });
      cpSync(path.join(caseDir, "input.ts"), path.join(projectDir, "app", "index.ts"));
      const error = await extractManifest({ projectDir }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(MooseError);
      const moose = error as MooseError;
      const expectedFile = path.join(caseDir, "expected-error.json");
      const diagnostics = (moose.details?.diagnostics as Array<{ path?: string }> | undefined) ?? [];
      const actual: ExpectedError = {
        code: moose.code,
        location: moose.location as ExpectedError["location"],
        ...(diagnostics[0]?.path ? { path: diagnostics[0].path } : typeof moose.details?.field === "string" ? { path: moose.details.field } : {}),
        message: moose.message.split("\n")[0],
      };
      if (UPDATE) writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
      expect(existsSync(expectedFile), `${expectedFile} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      const expected = JSON.parse(readFileSync(expectedFile, "utf8")) as ExpectedError;
      expect(actual).toEqual(expected);
      // What the user sees names the place and, for type problems, the field.
      const shown = moose.format();
      expect(shown).toContain(`${expected.location.file}:${expected.location.line}`);
      if (expected.path) expect(shown).toContain(expected.path);
    });
  }
});
