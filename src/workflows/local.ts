/**
 * The Temporal `moose dev` starts when nothing answers at `[temporal_config]`: the repository's
 * `scripts/temporal-local` (Temporal's Java test server from Maven Central), on the configured port,
 * with its pid and log under `<project>/.moose/temporal`, stopped again when dev stops. Only an
 * address on this machine can be started here. A Temporal CLI dev server (`temporal server
 * start-dev`) on the PATH is preferred when present: it has schedules, the test server does not.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MooseError } from "../errors.js";
import { runLocalScript, whileStarting, type ScriptResult } from "../infra/local-service.js";
import { temporalAnswers, type TemporalTarget } from "./connection.js";

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
  return existsSync(path.join(temporalHome(projectDir), String(port), "pid")) || existsSync(path.join(temporalHome(projectDir), `cli-${port}.pid`));
}

export function localStopHandle(projectDir: string, port: number, address: string): LocalTemporal {
  const cliPid = path.join(temporalHome(projectDir), `cli-${port}.pid`);
  if (existsSync(cliPid)) {
    return {
      address,
      kind: "temporal-cli",
      stop: async () => {
        const pid = Number(readFileSync(cliPid, "utf8"));
        // Only the Temporal CLI this project started: a stale file may name a pid reused by another process.
        const command = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
        if (command.includes("temporal") && command.includes(String(port))) {
          try {
            process.kill(pid, "SIGTERM");
          } catch {
            // already gone
          }
        }
        spawnSync("rm", ["-f", cliPid]);
      },
    };
  }
  return { address, kind: "java-test-server", stop: async () => void (await run(projectDir, ["stop", "--port", String(port)], () => {})) };
}

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

async function startCliDevServer(projectDir: string, target: TemporalTarget, port: number, info: (line: string) => void): Promise<LocalTemporal> {
  const home = temporalHome(projectDir);
  mkdirSync(home, { recursive: true });
  const log = openSync(path.join(home, `cli-${port}.log`), "a");
  const child = spawn("temporal", ["server", "start-dev", "--port", String(port), "--headless", "--namespace", target.namespace, "--db-filename", path.join(home, `cli-${port}.db`)], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  child.unref();
  writeFileSync(path.join(home, `cli-${port}.pid`), String(child.pid));
  const deadline = Date.now() + 60_000;
  while (!(await temporalAnswers(target, 1000))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await localStopHandle(projectDir, port, target.address).stop();
      throw new MooseError("DEV_TEMPORAL_START_FAILED", `\`temporal server start-dev\` did not answer on port ${port} (log: .moose/temporal/cli-${port}.log)`, { config: { key: "temporal_config.temporal_port" } });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  info(`  Temporal: Temporal CLI dev server ready at ${target.address} (stopped when moose dev stops)`);
  return localStopHandle(projectDir, port, target.address);
}

/** Starts a local Temporal on the target's port: the Temporal CLI's dev server when on the PATH, else the Java test server. */
export async function startLocalTemporal(options: { projectDir: string; target: TemporalTarget; port: number; info: (line: string) => void }): Promise<LocalTemporal> {
  const { projectDir, target, port, info } = options;
  if (onPath("temporal")) return startCliDevServer(projectDir, target, port, info);
  const started = performance.now();
  const result = await whileStarting("Temporal", info, () =>
    run(projectDir, ["start", "--port", String(port)], (line) => info(`  Temporal: ${line.replace(/^temporal-local: /, "")}`)),
  );
  if (result.code !== 0) {
    throw new MooseError("DEV_TEMPORAL_START_FAILED", `moose dev could not start a local Temporal on port ${port}: ${result.stderr.trim().split("\n").slice(-5).join("\n  ")}`, {
      config: { key: "temporal_config.temporal_port" },
      hint:
        "the local Temporal (Temporal's Java test server) needs Java 17+ and Maven (apt-get install openjdk-17-jre-headless maven); " +
        "or point temporal_config.temporal_host/temporal_port at a running Temporal, or turn workflows off with `[features] workflows = false`",
    });
  }
  const address = result.stdout.trim().split("\n").pop() ?? `localhost:${port}`;
  info(
    `  Temporal: Java test server ready at ${address} in ${((performance.now() - started) / 1000).toFixed(1)} s (in memory; stopped when moose dev stops; ` +
      "it has no schedules: scheduled workflows run on a full Temporal, here run them with `moose workflow run <name>`)",
  );
  return localStopHandle(projectDir, port, address);
}
