/**
 * `moose dev`'s stream processes (src/streams): after every good build the supervisor is
 * reconciled with the locally applied state, so only processes whose definition changed restart.
 * Their functions come from the build just loaded (the process-wide registry). With
 * `[features] streaming_engine = false` nothing runs, and dev says so once.
 */
import type { Config } from "../config/types.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import { logEvent } from "../logs/logger.js";
import type { Manifest } from "../manifest/types.js";
import { processFunctions } from "../sdk/processes.js";
import { getRegistry } from "../sdk/registry.js";
import type { ProcessReport } from "../streams/supervisor.js";
import { paint, payloadText, plural, type DevOutput } from "./output.js";

export interface DevProcesses {
  /** `code`: the build's manifest (for the streaming-off note); `applied`: what the local infrastructure has. */
  reload(code: Manifest, applied: Manifest): Promise<void>;
  report(): Promise<ProcessReport[]>;
  close(): Promise<void>;
}

export async function startDevProcesses(options: { projectDir: string; config: Config; driver: ClickHouseDriver; output: DevOutput; logPayloads?: boolean }): Promise<DevProcesses> {
  const { projectDir, config, output } = options;
  if (!config.features.streaming_engine) {
    let noted = false;
    return {
      async reload(code) {
        const count = Object.keys(code.processes).length;
        if (count === 0 || noted) return;
        noted = true;
        output.info(`note: ${plural(count, "stream process", "stream processes")} in the code ${count === 1 ? "is" : "are"} not run: [features] streaming_engine = false (ingest writes tables directly)`);
      },
      report: async () => [],
      close: async () => {},
    };
  }
  // Loaded only with streaming on: the supervisor brings kafkajs.
  const { Supervisor } = await import("../streams/supervisor.js");
  const supervisor = new Supervisor({
    projectDir,
    config,
    driver: options.driver,
    events: {
      error(id, message, details) {
        output.error(paint(output, "red", `  process ${id}: ${message}`));
        logEvent(projectDir, { kind: "process", level: "error", message: `${id}: ${message}`, details: { process: id, ...details } });
      },
      ...(options.logPayloads
        ? {
            payload(id: string, record: unknown, results?: unknown[]) {
              const out = results === undefined ? "" : ` → ${results.length === 0 ? "nothing" : results.map(payloadText).join(", ")}`;
              output.info(paint(output, "dim", `  process ${id}: ${payloadText(record)}${out}`));
            },
          }
        : {}),
    },
  });
  return {
    async reload(_code, applied) {
      const result = await supervisor.reconcile(applied, processFunctions(getRegistry()));
      for (const id of result.started) output.info(`  ▶ started ${id}`);
      for (const id of result.restarted) output.info(`  ↻ restarted ${id}`);
      for (const id of result.stopped) output.info(`  ■ stopped ${id}`);
      for (const { id, message } of result.failed) output.error(paint(output, "red", `  ✖ process ${id} did not start: ${message}`));
      for (const { id, message } of result.notRun) {
        output.info(`  note: ${id} is not run: ${message}`);
        logEvent(projectDir, { kind: "process", level: "warn", message: `${id}: not run: ${message}`, details: { process: id } });
      }
      const changed = [...result.started, ...result.restarted, ...result.stopped];
      if (changed.length > 0) logEvent(projectDir, { kind: "process", message: `processes reconciled`, details: { ...result } });
    },
    report: () => supervisor.report(),
    close: () => supervisor.close(),
  };
}
