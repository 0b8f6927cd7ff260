/** `moose plan` end to end minus extraction: manifests from files (`--manifest`), snapshot from a temp project. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { planCommand, snapshotState, type PlanFlags } from "../../../src/cli/commands/plan.js";
import { ExitCode, MooseError } from "../../../src/errors.js";
import { canonicalJson } from "../../../src/manifest/canonical.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { column, manifest, stream, users } from "../diff/builders.js";

let project: string;
let output: string;

beforeEach(() => {
  project = mkdtempSync(path.join(tmpdir(), "moose-plan-"));
  output = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(project, { recursive: true, force: true });
});

function writeCode(code: Manifest): void {
  writeFileSync(path.join(project, "code.json"), canonicalJson(code));
}

function writeSnapshot(state: Manifest): void {
  mkdirSync(path.join(project, "migrations"), { recursive: true });
  writeFileSync(path.join(project, "migrations", "snapshot.json"), canonicalJson(state));
}

const flags = (extra: Partial<PlanFlags> = {}): PlanFlags => ({ dir: "migrations", rename: [], manifest: "code.json", ...extra });

async function plan(extra: Partial<PlanFlags> = {}): Promise<number> {
  return planCommand(flags(extra), await snapshotState("migrations", project), project);
}

describe("moose plan", () => {
  it("plans against an empty state when there is no snapshot", async () => {
    writeCode(manifest({ tables: [users()] }));
    expect(await plan()).toBe(ExitCode.ok);
    expect(output).toBe("Infrastructure Changes:\n\n✨ New Components\n  + Users (OLAP Table)\n");
  });

  it("--detailed-exitcode: 0 without changes, 6 with changes, 3 with data loss or blocked changes", async () => {
    writeSnapshot(manifest({ tables: [users()], streams: [stream("E", { partitionCount: 2 })] }));
    writeCode(manifest({ tables: [users()], streams: [stream("E", { partitionCount: 2 })] }));
    expect(await plan({ detailedExitcode: true })).toBe(ExitCode.ok);
    expect(output).toBe("No changes.\n");

    writeCode(manifest({ tables: [users({}, [column("id", "String"), column("name", "String"), column("email", "String"), column("age", "Float64")])], streams: [stream("E", { partitionCount: 2 })] }));
    expect(await plan({ detailedExitcode: true })).toBe(ExitCode.changesFound);

    writeCode(manifest({ tables: [users({}, [column("id", "String")])], streams: [stream("E", { partitionCount: 2 })] }));
    expect(await plan({ detailedExitcode: true })).toBe(ExitCode.blockedDestructive);

    writeCode(manifest({ tables: [users()], streams: [stream("E", { partitionCount: 1 })] }));
    expect(await plan({ detailedExitcode: true })).toBe(ExitCode.blockedDestructive);
    expect(await plan()).toBe(ExitCode.ok);
  });

  it("--json prints the documented shape with both manifest hashes", async () => {
    writeCode(manifest({ tables: [users()] }));
    await plan({ json: true });
    const json = JSON.parse(output);
    expect(json).toMatchObject({ version: 1, hasChanges: true, summary: { new: 1 } });
    expect(json.from).toMatch(/^[0-9a-f]{64}$/);
    expect(json.to).toMatch(/^[0-9a-f]{64}$/);
  });

  it("--rename turns a drop + add into a rename", async () => {
    writeSnapshot(manifest({ tables: [users()] }));
    writeCode(manifest({ tables: [users({}, [column("id", "String"), column("name", "String"), column("contact", "String")])] }));
    expect(await plan({ detailedExitcode: true })).toBe(ExitCode.blockedDestructive);
    expect(output).toContain("--rename Users.email=contact");
    output = "";
    expect(await plan({ detailedExitcode: true, rename: ["Users.email=contact"] })).toBe(ExitCode.changesFound);
    expect(output).toContain("~ email → contact — renamed; data kept");
  });

  it("refuses a rename that does not fit the schemas, as a usage error", async () => {
    writeSnapshot(manifest({ tables: [users()] }));
    writeCode(manifest({ tables: [users()] }));
    await expect(plan({ rename: ["Users.nope=other"] })).rejects.toMatchObject({ code: "RENAME_NOT_APPLICABLE", exitCode: ExitCode.usage });
    await expect(plan({ rename: ["nodot"] })).rejects.toBeInstanceOf(MooseError);
  });

  it("reports a missing --manifest file", async () => {
    await expect(plan({ manifest: "missing.json" })).rejects.toMatchObject({ code: "MANIFEST_NOT_FOUND" });
  });
});
