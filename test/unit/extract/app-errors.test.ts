/** Failures of the app itself while moose-ts loads it: each a MooseError pointing at the app's code. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { extractManifest } from "../../../src/extract/index.js";

const scratch = mkdtempSync(path.join(tmpdir(), "moose-extract-app-errors-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const projectDir = path.join(scratch, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(projectDir, file)), { recursive: true });
    writeFileSync(path.join(projectDir, file), text);
  }
  return projectDir;
}

async function failure(projectDir: string): Promise<MooseError> {
  const error = await extractManifest({ projectDir }).catch((thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(MooseError);
  return error as MooseError;
}

it("APP_ERROR: the app throws while loading, reported at its source line", async () => {
  const error = await failure(
    project("throws", {
      "app/index.ts": `import { OlapTable } from "moose-ts";
interface Row { id: string }
export const rows = new OlapTable<Row>("Rows");
if (rows.name === "Rows") throw new Error("config missing");
`,
    }),
  );
  expect(error.code).toBe("APP_ERROR");
  expect(error.message).toContain("config missing");
  expect(error.location).toMatchObject({ file: "app/index.ts", line: 4 });
});

it("APP_CRASHED: the app exits before its components can be read", async () => {
  const error = await failure(
    project("exits", {
      "app/index.ts": `declare const process: { exit(code: number): never };
console.log("bye");
process.exit(3);
`,
    }),
  );
  expect(error.code).toBe("APP_CRASHED");
  expect(error.message).toContain("bye");
});

it("BUNDLE_FAILED: an import TypeScript resolves to a .d.ts but esbuild cannot bundle", async () => {
  const error = await failure(
    project("types-only", {
      "app/types.d.ts": "export declare const limit: number;\n",
      "app/index.ts": `import { limit } from "./types.js";
export const doubled = limit * 2;
`,
    }),
  );
  expect(error.code).toBe("BUNDLE_FAILED");
  expect(error.location).toMatchObject({ file: "app/index.ts", line: 1 });
});
