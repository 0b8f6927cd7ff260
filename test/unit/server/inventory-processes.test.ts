/** `moose ls` lists stream processes from the manifest: kind, what they read and write, and their code's short hash. */
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../../src/config/types.js";
import { buildInventory, parseKindFilter, renderInventory } from "../../../src/server/inventory.js";
import { column, manifest, stream, sync, table, transform } from "../diff/builders.js";

describe("processes in moose ls", () => {
  const users = table("Users", [column("id", "String")]);
  const streams = [stream("UserEvents", { destination: "Users" }), stream("Enriched")];
  const applied = manifest({ tables: [users], streams, processes: [sync("UserEvents", "Users"), transform("UserEvents", "Enriched", "a")] });
  const code = manifest({
    tables: [users],
    streams,
    processes: [
      sync("UserEvents", "Users"),
      transform("UserEvents", "Enriched", "b", { location: { file: "app/index.ts", line: 12 } }),
      { kind: "consumer", source: "Enriched", codeHash: "c".repeat(64) },
    ],
  });
  const items = buildInventory(code, applied, undefined, DEFAULT_CONFIG).filter((item) => item.kind === "process");

  it("lists each process with what it reads and writes, its code hash, and whether the applied state has it", () => {
    expect(items).toEqual([
      { kind: "process", id: "consumer:Enriched", location: "Enriched (code cccccccc)", status: "pending", change: "add" },
      { kind: "process", id: "sync:UserEvents->Users", location: "UserEvents -> Users", status: "applied" },
      { kind: "process", id: "transform:UserEvents->Enriched", location: "UserEvents -> Enriched (code bbbbbbbb)", status: "pending", change: "update", source: "app/index.ts:12" },
    ]);
    expect(renderInventory(items)).toMatch(/^process\s+transform:UserEvents->Enriched\s+UserEvents -> Enriched \(code bbbbbbbb\)\s+pending \(update\)$/m);
  });

  it("takes --type process", () => {
    expect(parseKindFilter("process")).toBe("processes");
  });
});
