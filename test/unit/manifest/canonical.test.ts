import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import {
  canonicalJson,
  canonicalManifestJson,
  EMPTY_MANIFEST_HASH,
  emptyManifest,
  hashManifest,
  readManifest,
  writeManifest,
  type Manifest,
  type TableSpec,
} from "../../../src/manifest/index.js";

function usersTable(overrides: Partial<TableSpec> = {}): TableSpec {
  return {
    name: "Users",
    columns: [
      { name: "id", type: "String", nullable: false, primaryKey: true },
      { name: "name", type: "String", nullable: false },
      { name: "email", type: "String", nullable: false },
    ],
    orderBy: ["id"],
    engine: { name: "MergeTree", params: [] },
    settings: {},
    indexes: [],
    lifeCycle: "FULLY_MANAGED",
    source: { file: "app/index.ts", line: 7 },
    ...overrides,
  };
}

function manifestWith(table: TableSpec): Manifest {
  return { ...emptyManifest(), tables: { [table.name]: table } };
}

/** The same value with every object's keys inserted in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) => [key, reverseKeys(inner)]),
  );
}

describe("canonicalJson", () => {
  it("sorts keys at every level, indents by two spaces and ends with a newline", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      `{
  "a": {
    "c": null,
    "d": [
      3,
      {
        "y": 2,
        "z": 1
      }
    ]
  },
  "b": 1
}
`,
    );
  });

  it("keeps array order", () => {
    expect(canonicalJson(["b", "a"])).toBe(`[\n  "b",\n  "a"\n]\n`);
  });

  it("gives the same bytes and hash whatever order keys were inserted in", () => {
    const manifest = manifestWith(usersTable({ settings: { index_granularity: "8192", ttl_only_drop_parts: "1" } }));
    const reordered = reverseKeys(manifest) as Manifest;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(manifest));
    expect(canonicalJson(reordered)).toBe(canonicalJson(manifest));
    expect(hashManifest(reordered)).toBe(hashManifest(manifest));
  });
});

describe("hashManifest", () => {
  it("is a sha256 hex digest", () => {
    expect(hashManifest(manifestWith(usersTable()))).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ignores source locations", () => {
    const here = manifestWith(usersTable({ source: { file: "app/index.ts", line: 7 } }));
    const moved = manifestWith(usersTable({ source: { file: "app/models/users.ts", line: 42 } }));
    const none = manifestWith(usersTable({ source: undefined }));
    expect(hashManifest(moved)).toBe(hashManifest(here));
    expect(hashManifest(none)).toBe(hashManifest(here));
  });

  it("keeps nested keys that happen to be called source", () => {
    const withSetting = manifestWith(usersTable({ settings: { source: "'a'" } }));
    expect(hashManifest(withSetting)).not.toBe(hashManifest(manifestWith(usersTable())));
  });

  it("changes when the content changes, including column order", () => {
    const base = usersTable();
    const reordered = usersTable({ columns: [...base.columns].reverse() });
    expect(hashManifest(manifestWith(reordered))).not.toBe(hashManifest(manifestWith(base)));
    expect(hashManifest(manifestWith(usersTable({ orderBy: ["email"] })))).not.toBe(hashManifest(manifestWith(base)));
  });

  it("exports the hash of the empty manifest", () => {
    expect(EMPTY_MANIFEST_HASH).toBe(hashManifest(emptyManifest()));
    expect(EMPTY_MANIFEST_HASH).not.toBe(hashManifest(manifestWith(usersTable())));
  });

  it("does not modify the manifest it hashes", () => {
    const manifest = manifestWith(usersTable());
    hashManifest(manifest);
    expect(manifest.tables.Users.source).toEqual({ file: "app/index.ts", line: 7 });
  });
});

describe("readManifest / writeManifest", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "moose-manifest-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function readError(file: string): Promise<MooseError> {
    const error = await readManifest(file).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(MooseError);
    return error as MooseError;
  }

  it("writes canonical JSON, creating directories, and reads it back", async () => {
    const file = path.join(dir, ".moose", "nested", "manifest.json");
    const manifest = manifestWith(usersTable());
    await writeManifest(file, reverseKeys(manifest) as Manifest);
    expect(await readFile(file, "utf8")).toBe(canonicalManifestJson(manifest));
    expect(await readManifest(file)).toEqual(manifest);
  });

  it("refuses an unknown version, saying which are supported and to upgrade", async () => {
    const file = path.join(dir, "manifest.json");
    await writeFile(file, JSON.stringify({ ...emptyManifest(), version: 2 }));
    const error = await readError(file);
    expect(error.code).toBe("MANIFEST_VERSION_UNSUPPORTED");
    expect(error.message).toContain("version 2");
    expect(error.message).toContain("reads version 1");
    expect(error.hint).toContain("upgrade moose-ts");
  });

  it("refuses a file without a version", async () => {
    const file = path.join(dir, "manifest.json");
    const { version: _version, ...unversioned } = emptyManifest();
    await writeFile(file, JSON.stringify(unversioned));
    expect((await readError(file)).code).toBe("MANIFEST_VERSION_UNSUPPORTED");
  });

  it("refuses invalid JSON, naming the path", async () => {
    const file = path.join(dir, "manifest.json");
    await writeFile(file, "{ not json");
    const error = await readError(file);
    expect(error.code).toBe("MANIFEST_INVALID");
    expect(error.message).toContain(file);
  });

  it("refuses a manifest missing a component map", async () => {
    const file = path.join(dir, "manifest.json");
    const { streams: _streams, ...partial } = emptyManifest();
    await writeFile(file, JSON.stringify(partial));
    const error = await readError(file);
    expect(error.code).toBe("MANIFEST_INVALID");
    expect(error.message).toContain('"streams"');
  });

  it("refuses JSON that is not an object", async () => {
    const file = path.join(dir, "manifest.json");
    await writeFile(file, "[1, 2]");
    const error = await readError(file);
    expect(error.code).toBe("MANIFEST_INVALID");
    expect(error.message).toContain("not a JSON object");
  });

  it("reports a path it cannot read", async () => {
    const error = await readError(dir); // a directory
    expect(error.code).toBe("MANIFEST_UNREADABLE");
    expect(error.message).toContain(dir);
  });

  it("reports a missing file", async () => {
    const error = await readError(path.join(dir, "absent.json"));
    expect(error.code).toBe("MANIFEST_NOT_FOUND");
  });
});
