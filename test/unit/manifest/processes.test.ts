/** Processes in the manifest: old manifests read and hash as before, new ones round-trip and are checked. */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { checkManifest } from "../../../src/extract/check.js";
import { withoutStreams } from "../../../src/extract/index.js";
import { canonicalJson, EMPTY_MANIFEST_HASH, emptyManifest, hashManifest, readManifest, writeManifest } from "../../../src/manifest/index.js";
import { checkManifestRules } from "../../../src/manifest/rules.js";
import { column, manifest, stream, sync, table, transform } from "../diff/builders.js";

const MIGRATION_GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "migrations", "golden", "create_topic");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "moose-processes-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("manifests written before processes existed", () => {
  it("read with no processes and keep the hash recorded in a migration generated then", async () => {
    const old = await readManifest(path.join(MIGRATION_GOLDEN, "after.json"));
    expect(old.processes).toEqual({});
    const migration = await readFile(path.join(MIGRATION_GOLDEN, "migration.ts"), "utf8");
    const recordedTo = /\bto: "([0-9a-f]{64})"/.exec(migration)![1];
    expect(hashManifest(old)).toBe(recordedTo);
  });

  it("are written back without a processes (or sqlResources) key while there are none", async () => {
    const file = path.join(dir, "manifest.json");
    await writeManifest(file, manifest({ tables: [table("Users", [column("id", "String")])] }));
    expect(JSON.parse(await readFile(file, "utf8"))).not.toHaveProperty("processes");
    // The empty state's identity is the hash of the manifest as it was before processes existed.
    const { processes: _none, sqlResources: _noResources, ...before } = emptyManifest();
    expect(EMPTY_MANIFEST_HASH).toBe(createHash("sha256").update(canonicalJson(before)).digest("hex"));
  });
});

describe("manifests with processes", () => {
  const withProcesses = manifest({
    tables: [table("Users", [column("id", "String")])],
    streams: [stream("UserEvents", { destination: "Users" }), stream("Enriched"), stream("Failures")],
    processes: [sync("UserEvents", "Users"), transform("UserEvents", "Enriched", "a", { deadLetterQueue: "Failures", location: { file: "app/index.ts", line: 12 } })],
  });

  it("round-trip through the file, and a process's place in the code is not part of the hash", async () => {
    const file = path.join(dir, "manifest.json");
    await writeManifest(file, withProcesses);
    expect(await readManifest(file)).toEqual(withProcesses);
    const moved = structuredClone(withProcesses);
    moved.processes["transform:UserEvents->Enriched"]!.location = { file: "app/streams.ts", line: 3 };
    expect(hashManifest(moved)).toBe(hashManifest(withProcesses));
    const changed = structuredClone(withProcesses);
    changed.processes["transform:UserEvents->Enriched"]!.codeHash = "b".repeat(64);
    expect(hashManifest(changed)).not.toBe(hashManifest(withProcesses));
  });

  it("are refused by the reader when a process is malformed, naming its JSON path", async () => {
    const file = path.join(dir, "manifest.json");
    const bad = { ...withProcesses, processes: { "transform:UserEvents->Enriched": { kind: "function", source: "UserEvents", codeHash: "not-a-hash" } } };
    await writeFile(file, JSON.stringify(bad));
    const error = await readManifest(file).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MooseError);
    expect((error as MooseError).message).toContain("/processes/transform:UserEvents->Enriched/kind");
    expect((error as MooseError).message).toContain("/processes/transform:UserEvents->Enriched/codeHash");
  });

  it("pass the rules when every stream and table a process names is in the app", () => {
    expect(checkManifestRules(withProcesses)).toEqual([]);
  });

  it("fail the build at the model's line when a process names a stream or table the app does not have", async () => {
    const orphan = manifest({
      streams: [stream("UserEvents")],
      processes: [
        transform("UserEvents", "Gone", "a", { deadLetterQueue: "NoQueue", location: { file: "app/index.ts", line: 21 } }),
        { ...sync("UserEvents", "NoTable"), location: { file: "app/index.ts", line: 8 } },
        { kind: "consumer", source: "NoStream", codeHash: "c".repeat(64), location: { file: "app/index.ts", line: 30 } },
      ],
    });
    expect(checkManifestRules(orphan).map((problem) => [problem.subject, problem.message, problem.location?.line])).toEqual([
      ['process "transform:UserEvents->Gone"', expect.stringContaining('writes stream "Gone"'), 21],
      ['process "transform:UserEvents->Gone"', expect.stringContaining('dead-letter stream "NoQueue"'), 21],
      ['process "sync:UserEvents->NoTable"', expect.stringContaining('writes table "NoTable"'), 8],
      ['process "consumer:NoStream"', expect.stringContaining('reads stream "NoStream", which is not in the app'), 30],
    ]);
    const error = await checkManifest(orphan).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MooseError);
    expect((error as MooseError).code).toBe("MODEL_INVALID");
    expect((error as MooseError).location).toEqual({ file: "app/index.ts", line: 21 });
  });

  it("leave the manifest with the streams when streaming is off", () => {
    const warnings: string[] = [];
    const off = withoutStreams(withProcesses, (message) => warnings.push(message));
    expect(off.streams).toEqual({});
    expect(off.processes).toEqual({});
    expect(warnings).toHaveLength(1);
  });

  it("accept a multi-transform's * destination", () => {
    expect(checkManifestRules(manifest({ streams: [stream("UserEvents")], processes: [transform("UserEvents", "*")] }))).toEqual([]);
  });
});
