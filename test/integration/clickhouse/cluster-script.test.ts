/**
 * scripts/clickhouse-cluster: a `start` that is interrupted half-way (here: stopped once ZooKeeper
 * and the replica's server are running, before the replica answers) leaves no process behind.
 */
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { CLICKHOUSE_CLUSTER_SCRIPT } from "../../helpers/clickhouse.js";

/** Pids of processes whose command line names `text`. */
function processesNaming(text: string): string[] {
  try {
    return execFileSync("pgrep", ["-f", text], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

it("an interrupted start stops the ZooKeeper and replica it had started", async () => {
  const stateDir = path.join(mkdtempSync(path.join(os.tmpdir(), "moose-cluster-script-")), "cluster");
  const start = spawn("bash", [CLICKHOUSE_CLUSTER_SCRIPT, "start", "--replicas", "1"], {
    env: { ...process.env, MOOSE_CLICKHOUSE_CLUSTER_DIR: stateDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  start.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => start.on("exit", (code) => resolve(code)));
  try {
    // Once the replica's server process exists, start is waiting for it to answer.
    while (processesNaming(`${stateDir}/replica-1/config.xml`).length === 0) {
      if (start.exitCode !== null) throw new Error(`start ended before its replica was launched: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(processesNaming(`${stateDir}/zookeeper/zoo.cfg`)).not.toEqual([]);
    start.kill("SIGTERM");
    expect(await exited).not.toBe(0);
    expect(stderr).toContain("start failed: stopping what it started");
    expect(processesNaming(stateDir)).toEqual([]);
  } finally {
    // Whatever happened above, nothing of this cluster outlives the test.
    execFileSync("bash", [CLICKHOUSE_CLUSTER_SCRIPT, "stop"], { env: { ...process.env, MOOSE_CLICKHOUSE_CLUSTER_DIR: stateDir }, stdio: "ignore" });
  }
}, 120_000);
