/**
 * `.moose/running.json`: how commands find a running `moose dev` / `moose prod --embedded` of the
 * project (src/dev/running.ts, src/cli/project.ts). A file of this process or of a dead process is
 * ignored; a file whose process lives but whose endpoint does not answer (a pid reused by another
 * program) is ignored too, and the embedded engine is opened directly.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openLocalDatabase } from "../../../src/cli/project.js";
import { DEFAULT_CONFIG } from "../../../src/config/types.js";
import { findRunning, removeRunning, runningFile, writeRunning } from "../../../src/dev/running.js";
import { freePort } from "../../helpers/kafka.js";

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-running-"));
afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

function record(pid: number, clickhouseUrl: string): void {
  mkdirSync(path.join(projectDir, ".moose"), { recursive: true });
  writeFileSync(runningFile(projectDir), JSON.stringify({ pid, kind: "dev", clickhouseUrl, database: "local", startedAt: new Date().toISOString() }));
}

describe(".moose/running.json", () => {
  it("is written and removed by its own process, and never counts for it", () => {
    writeRunning(projectDir, { kind: "dev", clickhouseUrl: "http://127.0.0.1:1", database: "local" });
    expect(findRunning(projectDir)).toBeUndefined(); // our own pid
    removeRunning(projectDir);
    expect(findRunning(projectDir)).toBeUndefined();
  });

  it("of a dead process is ignored", async () => {
    const child = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => child.once("exit", resolve));
    record(child.pid!, "http://127.0.0.1:1");
    expect(findRunning(projectDir)).toBeUndefined();
  });

  it("of a live process whose endpoint does not answer: the embedded engine is opened directly", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      record(child.pid!, `http://127.0.0.1:${await freePort()}`);
      expect(findRunning(projectDir)?.pid).toBe(child.pid);
      const driver = await openLocalDatabase(projectDir, DEFAULT_CONFIG);
      try {
        expect(driver.kind).toBe("embedded");
        expect(await driver.query<{ one: number }>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
      } finally {
        await driver.close();
      }
    } finally {
      child.kill("SIGKILL");
    }
  });
});
