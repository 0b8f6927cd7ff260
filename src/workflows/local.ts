/**
 * The Temporal `moose dev` starts when nothing answers at `[temporal_config]`: the repository's
 * `scripts/temporal-local` on the configured port, with its pid and log under
 * `<project>/.moose/temporal/<port>`, stopped again when dev stops. Only an address on this machine
 * can be started here. A Temporal CLI on the PATH is preferred (`start --cli`: `temporal server
 * start-dev`, which has schedules); else Temporal's Java test server from Maven Central, which has none.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { MooseError } from "../errors.js";
import { runLocalScript, whileStarting, type ScriptResult } from "../infra/local-service.js";
import type { TemporalTarget } from "./connection.js";

export interface LocalTemporal {
  address: string;
  /** Which server: the Temporal CLI's dev server, or the Java test server. */
  kind: "temporal-cli" | "java-test-server";
  stop(): Promise<void>;
}

export function temporalHome(projectDir: string): string {
  return path.join(projectDir, ".moose", "temporal");
}

function run(projectDir: string, args: string[], onLine: (line: string) => void): Promise<ScriptResult> {
  return runLocalScript("temporal-local", args, { MOOSE_TEMPORAL_HOME: temporalHome(projectDir) }, onLine);
}

/** A server this project's dev started earlier (a crashed dev left it running): stop it with this dev. */
export function ownsTemporal(projectDir: string, port: number): boolean {
  return existsSync(path.join(temporalHome(projectDir), String(port), "pid"));
}

export function localStopHandle(projectDir: string, port: number, address: string): LocalTemporal {
  const kindFile = path.join(temporalHome(projectDir), String(port), "kind");
  const kind = existsSync(kindFile) && readFileSync(kindFile, "utf8").trim() === "cli" ? "temporal-cli" : "java-test-server";
  return { address, kind, stop: async () => void (await run(projectDir, ["stop", "--port", String(port)], () => {})) };
}

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Starts a local Temporal on the target's port: the Temporal CLI's dev server when on the PATH, else the Java test server. */
export async function startLocalTemporal(options: { projectDir: string; target: TemporalTarget; port: number; info: (line: string) => void }): Promise<LocalTemporal> {
  const { projectDir, target, port, info } = options;
  const cli = onPath("temporal");
  const server = cli ? "Temporal CLI dev server" : "Java test server";
  const started = performance.now();
  const args = cli ? ["start", "--cli", "--port", String(port), "--namespace", target.namespace] : ["start", "--port", String(port)];
  const result = await whileStarting("Temporal", info, () => run(projectDir, args, (line) => info(`  Temporal: ${line.replace(/^temporal-local: /, "")}`)));
  if (result.code !== 0) {
    throw new MooseError("DEV_TEMPORAL_START_FAILED", `moose dev could not start a local Temporal (${server}) on port ${port}: ${result.stderr.trim().split("\n").slice(-5).join("\n  ")}`, {
      config: { key: "temporal_config.temporal_port" },
      hint:
        (cli
          ? "the `temporal` on the PATH runs `temporal server start-dev`; its log is in .moose/temporal/" + port + "/server.log; "
          : "the local Temporal (Temporal's Java test server) needs Java 17+ and Maven (apt-get install openjdk-17-jre-headless maven); ") +
        "or point temporal_config.temporal_host/temporal_port at a running Temporal, or turn workflows off with `[features] workflows = false`",
    });
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  info(
    cli
      ? `  Temporal: Temporal CLI dev server ready at ${target.address} in ${seconds} s (in memory, with schedules; stopped when moose dev stops)`
      : `  Temporal: Java test server ready at ${target.address} in ${seconds} s (in memory; stopped when moose dev stops; ` +
          "it has no schedules: scheduled workflows run on a full Temporal, here run them with `moose workflow run <name>`)",
  );
  return localStopHandle(projectDir, port, target.address);
}
