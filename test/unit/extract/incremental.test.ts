/**
 * createIncrementalExtractor (moose dev) and loadApp (moose prod): same manifests as a cold
 * extractManifest, the previous program reused after an edit, live objects from the same registry.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { createIncrementalExtractor, extractManifest } from "../../../src/extract/index.js";
import { loadApp } from "../../../src/extract/load-app.js";
import { canonicalJson } from "../../../src/manifest/canonical.js";
import { devModuleFile } from "../../../src/extract/paths.js";
import { ProgramSession } from "../../../src/extract/program.js";
import ts from "../../../src/extract/typescript.js";
import { getRegistry } from "../../../src/sdk/registry.js";

const scratch = mkdtempSync(path.join(tmpdir(), "moose-extract-incremental-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeApp(projectDir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(projectDir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

const MODELS = `import type { Key } from "moose-ts";
export interface User { id: Key<string>; name: string }
`;
const INDEX = `import { OlapTable, Api } from "moose-ts";
import type { User } from "./models.js";
export const users = new OlapTable<User>("Users");
export const count = new Api<{ min: number }, { n: number }>("count", async ({ min }, { sql }) => ({ n: min + sql\`SELECT 1\`.strings.length }));
`;

describe("incremental extractor", () => {
  it("re-extracts after an edit, matching a cold build", async () => {
    const projectDir = path.join(scratch, "edit");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/index.ts": INDEX });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      const first = await extractor.extract();
      expect(first.tables.Users.columns.map((column) => column.name)).toEqual(["id", "name"]);

      writeApp(projectDir, { "app/models.ts": MODELS.replace("name: string", "name: string; age?: number") });
      const second = await extractor.extract();
      expect(second.tables.Users.columns.at(-1)).toEqual({ name: "age", type: "Float64", nullable: true });
      expect(canonicalJson(second)).toBe(canonicalJson(await extractManifest({ projectDir })));
    } finally {
      extractor.close();
    }
  });

  it("reports an error, then recovers when the file is fixed", async () => {
    const projectDir = path.join(scratch, "recover");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/index.ts": INDEX });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      await extractor.extract();
      writeApp(projectDir, { "app/models.ts": MODELS.replace("name: string", "name: bigint") });
      const error = await extractor.extract().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(MooseError);
      expect((error as MooseError).code).toBe("UNSUPPORTED_TYPE");
      expect((error as MooseError).location).toMatchObject({ file: "app/models.ts", line: 2 });
      writeApp(projectDir, { "app/models.ts": MODELS });
      const fixed = await extractor.extract();
      expect(Object.keys(fixed.tables)).toEqual(["Users"]);
    } finally {
      extractor.close();
    }
  });
});

describe("incremental extractor follows files and packages that come and go", () => {
  const EVENTS = `import { OlapTable } from "moose-ts";
export interface Event { id: string; at: Date }
export const events = new OlapTable<Event>("Events");
`;

  it("finds a file an import named before it existed, without the importing file being saved again", async () => {
    const projectDir = path.join(scratch, "created-later");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/index.ts": `${INDEX}export * from "./events.js";\n` });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      const error = await extractor.extract().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(MooseError);
      expect((error as MooseError).message).toContain("./events.js");
      writeApp(projectDir, { "app/events.ts": EVENTS });
      const manifest = await extractor.extract();
      expect(Object.keys(manifest.tables).sort()).toEqual(["Events", "Users"]);
    } finally {
      extractor.close();
    }
  });

  it("reports an imported file that was deleted, and recovers when the import goes", async () => {
    const projectDir = path.join(scratch, "deleted");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/events.ts": EVENTS, "app/index.ts": `${INDEX}export * from "./events.js";\n` });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Events", "Users"]);
      rmSync(path.join(projectDir, "app", "events.ts"));
      const error = await extractor.extract().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(MooseError);
      expect((error as MooseError).message).toContain("./events.js");
      writeApp(projectDir, { "app/index.ts": INDEX });
      expect(Object.keys((await extractor.extract()).tables)).toEqual(["Users"]);
    } finally {
      extractor.close();
    }
  });

  it("finds a file created later also where file names are case-insensitive (TypeScript's canonical paths)", async () => {
    const projectDir = path.join(scratch, "CaseInsensitive");
    writeApp(projectDir, { "app/Models.ts": MODELS, "app/index.ts": `${INDEX.replace("./models.js", "./Models.js")}export * from "./Events.js";\n` });
    const caseSensitive = ts.sys.useCaseSensitiveFileNames;
    (ts.sys as { useCaseSensitiveFileNames: boolean }).useCaseSensitiveFileNames = false;
    const extractor = createIncrementalExtractor(projectDir);
    try {
      await expect(extractor.extract()).rejects.toThrow("./Events.js");
      writeApp(projectDir, { "app/Events.ts": EVENTS });
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Events", "Users"]);
    } finally {
      extractor.close();
      (ts.sys as { useCaseSensitiveFileNames: boolean }).useCaseSensitiveFileNames = caseSensitive;
    }
  });

  it("resolves an import again when the file it resolved to moved (events.ts → events/index.ts)", async () => {
    const projectDir = path.join(scratch, "moved");
    writeApp(projectDir, {
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "ESNext", moduleResolution: "Bundler", target: "ES2022", strict: true } }),
      "app/models.ts": MODELS,
      "app/events.ts": EVENTS,
      "app/index.ts": `${INDEX.replace("./models.js", "./models")}export * from "./events";\n`,
    });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Events", "Users"]);
      rmSync(path.join(projectDir, "app", "events.ts"));
      writeApp(projectDir, { "app/events/index.ts": EVENTS.replace("./models.js", "../models") });
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Events", "Users"]);
    } finally {
      extractor.close();
    }
  });

  it("finds a type imported as import(\"…\") from a file created later", async () => {
    const projectDir = path.join(scratch, "import-type");
    writeApp(projectDir, {
      "app/models.ts": MODELS,
      "app/index.ts": `${INDEX}export const events = new OlapTable<import("./event.js").Event>("Events");\n`,
    });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      await expect(extractor.extract()).rejects.toThrow("./event.js");
      writeApp(projectDir, { "app/event.ts": "export interface Event { id: string; at: Date }\n" });
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Events", "Users"]);
    } finally {
      extractor.close();
    }
  });

  it("finds a package installed while it runs", async () => {
    const projectDir = path.join(scratch, "installed-later");
    const index = `${INDEX}import { limit } from "late-package";\nexport const limited = new OlapTable<User>(\`Limited\${limit}\`);\n`;
    writeApp(projectDir, { "package.json": '{ "type": "module" }\n', "app/models.ts": MODELS, "app/index.ts": index });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      const error = await extractor.extract().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(MooseError);
      expect((error as MooseError).message).toContain("late-package");
      writeApp(projectDir, {
        "node_modules/late-package/package.json": '{ "name": "late-package", "type": "module", "exports": { ".": { "types": "./index.d.ts", "default": "./index.js" } } }\n',
        "node_modules/late-package/index.js": "export const limit = 10;\n",
        "node_modules/late-package/index.d.ts": "export declare const limit: 10;\n",
      });
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Limited10", "Users"]);
    } finally {
      extractor.close();
    }
  });

  it("follows a package upgraded while it runs (npm's install record changes)", async () => {
    const projectDir = path.join(scratch, "upgraded");
    const index = `import { OlapTable } from "moose-ts";\nimport type { Score } from "scores";\nexport const scores = new OlapTable<Score>("Scores");\n`;
    const install = (version: number, types: string) =>
      writeApp(projectDir, {
        [`node_modules/scores/v${version}.d.ts`]: types,
        "node_modules/scores/index.js": "export {};\n",
        "node_modules/scores/package.json": JSON.stringify({ name: "scores", version: `${version}.0.0`, type: "module", exports: { ".": { types: `./v${version}.d.ts`, default: "./index.js" } } }),
        "node_modules/.package-lock.json": JSON.stringify({ name: "app", lockfileVersion: 3, packages: { "node_modules/scores": { version: `${version}.0.0` } } }),
      });
    writeApp(projectDir, { "package.json": '{ "type": "module" }\n', "app/index.ts": index });
    install(1, "export interface Score { id: string; value: number }\n");
    const extractor = createIncrementalExtractor(projectDir);
    try {
      expect((await extractor.extract()).tables.Scores.columns.at(-1)).toMatchObject({ name: "value", type: "Float64" });
      install(2, "export interface Score { id: string; value: string }\n");
      expect((await extractor.extract()).tables.Scores.columns.at(-1)).toMatchObject({ name: "value", type: "String" });
    } finally {
      extractor.close();
    }
  });
});

describe("incremental extractor after a failed run, with JSON modules and a changed tsconfig", () => {
  const EVENTS_TABLE = `import { OlapTable } from "moose-ts";\nexport interface Event { id: string; at: Date }\nexport const events = new OlapTable<Event>("Events");\n`;

  it("runs again a module whose evaluation failed, when the fix is in another file", async () => {
    const projectDir = path.join(scratch, "failed-run");
    const tags = (name: string) => `import { OlapTable } from "moose-ts";\nimport type { User } from "./models.js";\nexport const tags = new OlapTable<User>("${name}");\n`;
    writeApp(projectDir, { "app/models.ts": MODELS, "app/events.ts": tags("Tags"), "app/index.ts": `${INDEX}export * from "./events.js";\n` });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Tags", "Users"]);
      // orders.ts takes the name Tags too: its evaluation throws DUPLICATE_COMPONENT …
      writeApp(projectDir, { "app/orders.ts": tags("Tags").replace("export const tags", "export const orderTags"), "app/index.ts": `${INDEX}export * from "./events.js";\nexport * from "./orders.js";\n` });
      await expect(extractor.extract()).rejects.toMatchObject({ code: "DUPLICATE_COMPONENT" });
      // The registry is the last good run's again (what moose dev keeps serving), not half of the failed one.
      expect(getRegistry().list("tables").map((table) => table.id).sort()).toEqual(["Tags", "Users"]);
      expect(getRegistry().list("apis").map((api) => api.id)).toEqual(["count"]);
      // … and the fix renames the one in events.ts: orders.ts, unchanged, must run again.
      writeApp(projectDir, { "app/events.ts": tags("TagsOld") });
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Tags", "TagsOld", "Users"]);
    } finally {
      extractor.close();
    }
  });

  it("reads tsconfig.json again when it changes (a `paths` alias added while it runs)", async () => {
    const projectDir = path.join(scratch, "tsconfig-changed");
    const config = (paths: Record<string, string[]>) =>
      JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, paths } });
    writeApp(projectDir, { "package.json": '{ "type": "module" }\n', "tsconfig.json": config({}), "app/models.ts": MODELS, "app/index.ts": INDEX });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      expect(Object.keys((await extractor.extract()).tables)).toEqual(["Users"]);
      writeApp(projectDir, { "tsconfig.json": config({ "@m/*": ["./app/*"] }), "app/events.ts": EVENTS_TABLE, "app/index.ts": `${INDEX}export * from "@m/events.js";\n` });
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Events", "Users"]);
    } finally {
      extractor.close();
    }
  });

  it("forgets what a module registered through a helper in another file when the module runs again (a table renamed in the call)", async () => {
    const projectDir = path.join(scratch, "helper-rename");
    writeApp(projectDir, {
      "app/models.ts": MODELS,
      "app/factory.ts": `import { OlapTable } from "moose-ts";\nimport type { User } from "./models.js";\nexport function userTable(name: string) {\n  return new OlapTable<User>(name);\n}\n`,
      "app/metrics.ts": `import { userTable } from "./factory.js";\nexport const metrics = userTable("MetricsA");\n`,
      "app/index.ts": `export * from "./metrics.js";\n`,
    });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      expect(Object.keys((await extractor.extract()).tables)).toEqual(["MetricsA"]);
      writeApp(projectDir, { "app/metrics.ts": `import { userTable } from "./factory.js";\nexport const metrics = userTable("MetricsB");\n` });
      expect(Object.keys((await extractor.extract()).tables)).toEqual(["MetricsB"]);
    } finally {
      extractor.close();
    }
  });

  for (const [module, attribute] of [
    ["NodeNext", ' with { type: "json" }'],
    ["ESNext", ""],
  ] as const) {
    it(`runs an app importing a JSON file (resolveJsonModule, module ${module}), and follows its edits`, async () => {
      const projectDir = path.join(scratch, `json-${module}`);
      const moduleResolution = module === "NodeNext" ? "NodeNext" : "Bundler";
      writeApp(projectDir, {
        "package.json": '{ "type": "module" }\n',
        "tsconfig.json": JSON.stringify({ compilerOptions: { module, moduleResolution, target: "ES2022", strict: true, resolveJsonModule: true } }),
        "app/models.ts": MODELS,
        "app/names.json": '{ "table": "FromJson" }\n',
        "app/index.ts": `${INDEX}import names from "./names.json"${attribute};\nexport const named = new OlapTable<User>(names.table);\n`,
      });
      const extractor = createIncrementalExtractor(projectDir);
      try {
        expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["FromJson", "Users"]);
        writeApp(projectDir, { "app/names.json": '{ "table": "Renamed" }\n' });
        expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Renamed", "Users"]);
      } finally {
        extractor.close();
      }
    });
  }
});

describe("incremental extractor re-runs only what changed", () => {
  it("keeps the components of modules that did not change, and re-runs the ones that did", async () => {
    const projectDir = path.join(scratch, "partial");
    const counted = (name: string) => `import { OlapTable } from "moose-ts";
interface ${name}Row { id: string }
const holder = globalThis as unknown as { runs?: Record<string, number> };
const runs = (holder.runs ??= {});
runs.${name} = (runs.${name} ?? 0) + 1;
export const ${name.toLowerCase()} = new OlapTable<${name}Row>("${name}");
`;
    writeApp(projectDir, {
      "app/a.ts": counted("A"),
      "app/b.ts": counted("B"),
      "app/index.ts": 'export * from "./a.js";\nexport * from "./b.js";\n',
    });
    const runs = () => (globalThis as { runs?: Record<string, number> }).runs ?? {};
    const extractor = createIncrementalExtractor(projectDir);
    try {
      await extractor.extract();
      const before = { ...runs() };
      writeApp(projectDir, { "app/a.ts": counted("A").replace("id: string", "id: string; extra: boolean") });
      const manifest = await extractor.extract();
      expect(runs().A).toBe((before.A ?? 0) + 1);
      expect(runs().B).toBe(before.B);
      expect(Object.keys(manifest.tables).sort()).toEqual(["A", "B"]);
      expect(manifest.tables.A.columns.map((column) => column.name)).toEqual(["id", "extra"]);

      writeApp(projectDir, { "app/index.ts": 'export * from "./a.js";\n' });
      expect(Object.keys((await extractor.extract()).tables)).toEqual(["A"]);
    } finally {
      extractor.close();
    }
  });
});

describe("incremental extractor and barrel files", () => {
  it("does not run an unchanged barrel again when nothing running again imports it, and still runs what imports through one", async () => {
    const projectDir = path.join(scratch, "barrels");
    const users = (label: string) => `import { OlapTable } from "moose-ts";
interface UserRow { id: string }
export const label = "${label}";
export const users = new OlapTable<UserRow>("Users");
`;
    writeApp(projectDir, {
      "app/models/users.ts": users("v1"),
      // A barrel that views.ts imports through: it must pass the new users module on.
      "app/models/index.ts": 'export * from "./users.js";\nexport type { UserRow as Row } from "./types.js";\n',
      "app/models/types.ts": "export interface UserRow { id: string }\n",
      "app/views.ts": `import { OlapTable } from "moose-ts";
import { label } from "./models/index.js";
interface CopyRow { id: string }
export const copy = new OlapTable<CopyRow>(\`Copy_\${label}\`);
`,
      // The app's barrel: nothing imports it.
      "app/index.ts": 'export * from "./models/index.js";\nexport * from "./views.js";\n',
    });
    const extractor = createIncrementalExtractor(projectDir);
    const emittedMain = devModuleFile(projectDir, path.join(projectDir, "app", "index.ts"));
    try {
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Copy_v1", "Users"]);
      const mainBefore = readFileSync(emittedMain, "utf8");
      writeApp(projectDir, { "app/models/users.ts": users("v2").replace("id: string", "id: string; extra: boolean") });
      const manifest = await extractor.extract();
      expect(Object.keys(manifest.tables).sort()).toEqual(["Copy_v2", "Users"]);
      expect(manifest.tables.Users.columns.map((column) => column.name)).toEqual(["id", "extra"]);
      expect(canonicalJson(manifest)).toBe(canonicalJson(await extractManifest({ projectDir })));
      // app/index.ts was neither emitted nor run again.
      expect(readFileSync(emittedMain, "utf8")).toBe(mainBefore);

      // A changed barrel runs again: the module it now re-exports is found.
      writeApp(projectDir, {
        "app/extra.ts": 'import { OlapTable } from "moose-ts";\ninterface ExtraRow { id: string }\nexport const extra = new OlapTable<ExtraRow>("Extra");\n',
        "app/index.ts": 'export * from "./models/index.js";\nexport * from "./views.js";\nexport * from "./extra.js";\n',
      });
      expect(Object.keys((await extractor.extract()).tables).sort()).toEqual(["Copy_v2", "Extra", "Users"]);
    } finally {
      extractor.close();
    }
  });
  it("runs a changed module an idle barrel passes on, also when the other module running again imports only its types", async () => {
    const projectDir = path.join(scratch, "barrel-types");
    const users = (extra: string) => `import { OlapTable } from "moose-ts";
export interface UserRow { id: string${extra} }
export const users = new OlapTable<UserRow>("Users");
`;
    writeApp(projectDir, {
      "app/users.ts": users(""),
      "app/report.ts": 'import { OlapTable } from "moose-ts";\nimport type { UserRow } from "./users.js";\ninterface ReportRow extends UserRow { n: number }\nexport const report = new OlapTable<ReportRow>("Report");\n',
      "app/index.ts": 'export * from "./users.js";\nexport * from "./report.js";\n',
    });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      await extractor.extract();
      writeApp(projectDir, { "app/users.ts": users("; extra: boolean") });
      const manifest = await extractor.extract();
      expect(manifest.tables.Users?.columns.map((column) => column.name)).toEqual(["id", "extra"]);
      expect(manifest.tables.Report?.columns.map((column) => column.name)).toEqual(["id", "extra", "n"]);
      expect(canonicalJson(manifest)).toBe(canonicalJson(await extractManifest({ projectDir })));
    } finally {
      extractor.close();
    }
  });
});

describe("program session", () => {
  it("keeps unchanged files' parsed SourceFiles and re-reads only the edited one", () => {
    const projectDir = path.join(scratch, "session");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/index.ts": INDEX });
    const mainFile = path.join(projectDir, "app", "index.ts");
    const modelsFile = path.join(projectDir, "app", "models.ts");
    const session = new ProgramSession(projectDir, [mainFile], { incremental: true });
    const before = session.update();
    writeApp(projectDir, { "app/models.ts": `${MODELS}export type Extra = string;\n` });
    const after = session.update();
    expect(after).not.toBe(before);
    expect(after.getSourceFile(mainFile)).toBe(before.getSourceFile(mainFile));
    expect(after.getSourceFile(modelsFile)).not.toBe(before.getSourceFile(modelsFile));
  });
});

describe("program session parsing", () => {
  it("reads @types declarations without the JSDoc no type error needs, the app's and packages' files with theirs", () => {
    const projectDir = path.join(scratch, "jsdoc");
    const documented = (where: string) => `export interface Documented {\n  /** Documented in ${where}. */\n  id: string;\n}\n`;
    writeApp(projectDir, {
      "package.json": '{ "type": "module" }\n',
      "node_modules/@types/typings/package.json": '{ "name": "@types/typings", "types": "./index.d.ts" }\n',
      "node_modules/@types/typings/index.d.ts": documented("typings"),
      "node_modules/models/package.json": '{ "name": "models", "type": "module", "types": "./index.d.ts" }\n',
      "node_modules/models/index.d.ts": documented("a package"),
      "app/index.ts": `import type {} from "typings";\nimport type {} from "models";\n${documented("the app")}`,
    });
    const session = new ProgramSession(projectDir, [path.join(projectDir, "app", "index.ts")]);
    const program = session.update();
    const checker = program.getTypeChecker();
    const firstMemberDoc = (file: string) => {
      const statement = program.getSourceFile(path.join(projectDir, file))!.statements.find(ts.isInterfaceDeclaration)!;
      return ts.displayPartsToString(checker.getSymbolAtLocation(statement.members[0]!.name!)!.getDocumentationComment(checker));
    };
    expect(firstMemberDoc("app/index.ts")).toBe("Documented in the app.");
    expect(firstMemberDoc("node_modules/models/index.d.ts")).toBe("Documented in a package.");
    expect(firstMemberDoc("node_modules/@types/typings/index.d.ts")).toBe("");
  });
});

describe("program session between saves", () => {
  it("does not resolve again imports TypeScript finds without a file (a Node builtin declared by @types/node)", () => {
    const projectDir = path.join(scratch, "builtin");
    writeApp(projectDir, {
      "app/models.ts": MODELS,
      "app/index.ts": `import { randomUUID } from "node:crypto";\n${INDEX}export const id = randomUUID();\n`,
    });
    const mainFile = path.join(projectDir, "app", "index.ts");
    const session = new ProgramSession(projectDir, [mainFile], { incremental: true });
    const before = session.update();
    expect(session.typeErrors()).toEqual([]);
    const imports = session.imports(before.getSourceFile(mainFile)!);
    expect(imports.find(({ specifier }) => specifier.text === "node:crypto")?.target).toBeUndefined();
    writeApp(projectDir, { "app/models.ts": `${MODELS}export type Extra = string;\n` });
    const after = session.update();
    expect(after.getSourceFile(mainFile)).toBe(before.getSourceFile(mainFile));
    expect(session.imports(after.getSourceFile(mainFile)!)).toBe(imports);
  });
});

describe("program session type errors between saves", () => {
  const messages = (errors: readonly ts.Diagnostic[]) =>
    errors.map((error) => `${path.basename(error.file?.fileName ?? "")}: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);

  it("checks again the files importing a changed one (also through a re-export), and reuses the others' errors", () => {
    const projectDir = path.join(scratch, "type-errors");
    writeApp(projectDir, {
      "app/user.ts": "export interface User { name: string }\n",
      "app/models.ts": 'export type { User } from "./user.js";\n',
      "app/greet.ts": 'import type { User } from "./models.js";\nexport const greeting = (user: User): string => user.name;\n',
      "app/other.ts": "export const broken: number = 'not a number';\n",
      "app/index.ts": 'export * from "./greet.js";\nexport * from "./other.js";\n',
    });
    const session = new ProgramSession(projectDir, [path.join(projectDir, "app", "index.ts")], { incremental: true });
    session.update();
    const before = session.typeErrors();
    expect(messages(before)).toEqual(["other.ts: Type 'string' is not assignable to type 'number'."]);

    writeApp(projectDir, { "app/user.ts": "export interface User { name: number }\n" });
    session.update();
    const after = session.typeErrors();
    expect(messages(after)).toEqual(["greet.ts: Type 'number' is not assignable to type 'string'.", "other.ts: Type 'string' is not assignable to type 'number'."]);
    // other.ts imports nothing that changed: its errors are the ones found before, not found again.
    expect(after.find((error) => error.file?.fileName.endsWith("other.ts"))).toBe(before[0]);

    writeApp(projectDir, { "app/user.ts": "export interface User { name: string }\n" });
    session.update();
    expect(messages(session.typeErrors())).toEqual(["other.ts: Type 'string' is not assignable to type 'number'."]);
  });

  it("checks every file again when a module's `declare global` changes (it reaches files that do not import it)", () => {
    const projectDir = path.join(scratch, "global-augmentation");
    writeApp(projectDir, {
      "app/globals.ts": "export {};\ndeclare global {\n  var appName: string;\n}\n",
      "app/uses.ts": "export const length: number = globalThis.appName.length;\n",
      "app/index.ts": 'import "./globals.js";\nexport * from "./uses.js";\n',
    });
    const session = new ProgramSession(projectDir, [path.join(projectDir, "app", "index.ts")], { incremental: true });
    session.update();
    expect(session.typeErrors()).toEqual([]);
    writeApp(projectDir, { "app/globals.ts": "export {};\ndeclare global {\n  var appName: number;\n}\n" });
    session.update();
    expect(messages(session.typeErrors())).toEqual(["uses.ts: Property 'length' does not exist on type 'number'."]);
  });
});

describe("program session after package.json changes", () => {
  it("reads the files again as ES modules when package.json gains \"type\": \"module\"", () => {
    const projectDir = path.join(scratch, "package-type");
    writeApp(projectDir, { "package.json": '{ "name": "app" }\n', "app/models.ts": MODELS, "app/index.ts": INDEX });
    const mainFile = path.join(projectDir, "app", "index.ts");
    const session = new ProgramSession(projectDir, [mainFile], { incremental: true });
    expect(session.update().getSourceFile(mainFile)?.impliedNodeFormat).toBe(ts.ModuleKind.CommonJS);
    writeApp(projectDir, { "package.json": '{ "name": "app", "type": "module" }\n' });
    expect(session.update().getSourceFile(mainFile)?.impliedNodeFormat).toBe(ts.ModuleKind.ESNext);
  });
});

describe("loadApp", () => {
  it("returns the live objects the app registered, in this process's registry", async () => {
    const projectDir = path.join(scratch, "load");
    writeApp(projectDir, { "app/models.ts": MODELS, "app/index.ts": INDEX });
    const app = await loadApp(projectDir);
    expect(app.registry).toBe(getRegistry());
    expect([...app.tables.keys()]).toEqual(["Users"]);
    const api = app.apis.get("count");
    expect(api).toBeDefined();
    const { sql } = await import("../../../src/sdk/sql.js");
    type QueryClient = import("../../../src/sdk/api.js").QueryClient;
    const result = await api?.getHandler()({ min: 2 }, { client: { query: { execute: async () => ({ json: async () => [] }), command: async () => {} } as unknown as QueryClient }, sql });
    expect(result).toEqual({ n: 3 });
    expect(app.manifest.apis.count.params).toMatchObject({ type: "object", required: ["min"] });
  });

  it("fails with MISSING_MAIN_FILE when app/index.ts does not exist", async () => {
    const projectDir = path.join(scratch, "empty");
    mkdirSync(projectDir, { recursive: true });
    const error = await loadApp(projectDir).catch((thrown: unknown) => thrown);
    expect((error as MooseError).code).toBe("MISSING_MAIN_FILE");
    const cold = await extractManifest({ projectDir }).catch((thrown: unknown) => thrown);
    expect((cold as MooseError).code).toBe("MISSING_MAIN_FILE");
    expect((cold as MooseError).format()).toContain("app/index.ts");
  });
});

describe("CommonJS globals, as MooseStack's CommonJS run of an app gives them", () => {
  const files = {
    "app/sub/names.json": `{ "table": "Events" }`,
    "app/sub/naming.ts": `import { readFileSync } from "node:fs";
import path = require("node:path");
const os = require("node:os");
export const tableName: string = JSON.parse(readFileSync(path.join(__dirname, "names.json"), "utf8")).table;
export const origin = path.basename(__filename, ".ts") + (os.EOL === "\\n" ? "" : "-windows");
`,
    "app/index.ts": `import { OlapTable } from "moose-ts";
import type { Key } from "moose-ts";
import { origin, tableName } from "./sub/naming.js";
interface Event { id: Key<string> }
export const events = new OlapTable<Event>(\`\${tableName}_\${origin}_\${require("node:path").basename(__dirname)}\`);
`,
  };

  it("a file's require, __dirname and __filename are its source's, in the bundle and in dev's modules", async () => {
    const projectDir = path.join(scratch, "commonjs");
    writeApp(projectDir, files);
    expect(Object.keys((await extractManifest({ projectDir })).tables)).toEqual(["Events_naming_app"]);
    const extractor = createIncrementalExtractor(projectDir);
    try {
      expect(Object.keys((await extractor.extract()).tables)).toEqual(["Events_naming_app"]);
      writeApp(projectDir, { "app/sub/names.json": `{ "table": "Renamed" }`, "app/sub/naming.ts": `${files["app/sub/naming.ts"]}// saved again\n` });
      expect(Object.keys((await extractor.extract()).tables)).toEqual(["Renamed_naming_app"]);
    } finally {
      extractor.close();
    }
  });

  it("an ES module's own require and __filename are left as it declares them", async () => {
    const projectDir = path.join(scratch, "esm-idioms");
    writeApp(projectDir, {
      "tsconfig.json": `{ "compilerOptions": { "module": "esnext", "moduleResolution": "bundler", "strict": true } }`,
      "app/index.ts": `import { OlapTable } from "moose-ts";
import type { Key } from "moose-ts";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
const require = createRequire(import.meta.url);
const __filename = fileURLToPath(import.meta.url);
interface Event { id: Key<string> }
export const events = new OlapTable<Event>(require("node:path").extname(__filename) === ".mjs" ? "Bundled" : "Module");
`,
    });
    expect(Object.keys((await extractManifest({ projectDir })).tables)).toEqual(["Bundled"]);
    const extractor = createIncrementalExtractor(projectDir);
    try {
      expect(Object.keys((await extractor.extract()).tables)).toEqual(["Bundled"]);
    } finally {
      extractor.close();
    }
  });
});

describe("incremental extractor on MooseStack's file layouts", () => {
  const PIPELINES = `import { IngestPipeline, Key } from "moose-ts";
export interface Foo { id: Key<string>; n: number }
export interface Bar { id: Key<string>; doubled: number }
export const FooPipeline = new IngestPipeline<Foo>("Foo", { table: false, stream: true, ingestApi: true });
export const BarPipeline = new IngestPipeline<Bar>("Bar", { table: true, stream: true, ingestApi: false });
`;
  const TRANSFORMS = (factor: number) => `import { FooPipeline, BarPipeline, type Foo, type Bar } from "./models.js";
FooPipeline.stream!.addTransform(BarPipeline.stream!, (foo: Foo): Bar => ({ id: foo.id, doubled: foo.n * ${factor} }));
FooPipeline.stream!.addConsumer((foo: Foo) => void foo);
`;

  it("runs an edited file that adds a transform and a consumer to another file's stream again, without a duplicate", async () => {
    const projectDir = path.join(scratch, "transforms");
    writeApp(projectDir, {
      "app/ingest/models.ts": PIPELINES,
      "app/ingest/transforms.ts": TRANSFORMS(2),
      "app/index.ts": `export * from "./ingest/models.js";\nimport "./ingest/transforms.js";\n`,
    });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      const first = await extractor.extract();
      const kinds = (manifest: typeof first) => Object.values(manifest.processes).map((process) => process.kind).sort();
      expect(kinds(first)).toEqual(["consumer", "sync", "transform"]);
      writeApp(projectDir, { "app/ingest/transforms.ts": TRANSFORMS(3) });
      const second = await extractor.extract();
      expect(kinds(second)).toEqual(["consumer", "sync", "transform"]);
      expect(canonicalJson(second)).toBe(canonicalJson(await extractManifest({ projectDir })));
      // Taken out of the file: gone from the stream too.
      writeApp(projectDir, { "app/ingest/transforms.ts": `import "./models.js";\n` });
      expect(kinds(await extractor.extract())).toEqual(["sync"]);
    } finally {
      extractor.close();
    }
  });

  it("runs an app whose file imports app/index.ts (which re-exports that file), at the start and after an edit", async () => {
    const projectDir = path.join(scratch, "cycle");
    const api = (min: number) => `import { Api } from "moose-ts";
import { users } from "./index.js";
export const count = new Api<{ min: number }, { n: number }>("count", async ({ min }) => ({ n: min + ${min} + users.name.length }));
`;
    writeApp(projectDir, {
      "app/models.ts": `import { OlapTable, type Key } from "moose-ts";\nexport interface User { id: Key<string>; name: string }\nexport const users = new OlapTable<User>("Users");\n`,
      "app/api.ts": api(1),
      "app/index.ts": `export * from "./models.js";\nexport * from "./api.js";\n`,
    });
    const extractor = createIncrementalExtractor(projectDir);
    try {
      const first = await extractor.extract();
      expect([Object.keys(first.tables), Object.keys(first.apis)]).toEqual([["Users"], ["count"]]);
      writeApp(projectDir, { "app/api.ts": api(2) });
      const second = await extractor.extract();
      expect([Object.keys(second.tables), Object.keys(second.apis)]).toEqual([["Users"], ["count"]]);
    } finally {
      extractor.close();
    }
  });
});
