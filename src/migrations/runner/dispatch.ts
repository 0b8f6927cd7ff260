/**
 * Runs one step against the infrastructure it belongs to: SQL through the ClickHouse executor
 * (which checks type conversions first), Kafka actions through the Kafka admin, schedule actions
 * through the Temporal client, notes nowhere
 * (recorded in state only), hand-written `run` steps with a context.
 */
import { MooseError } from "../../errors.js";
import type { ClickHouseDriver } from "../../infra/clickhouse/driver.js";
import { executeSqlStep, type HostRetry, type ProgressListener } from "../../infra/clickhouse/executor.js";
import { stepSummary, type KafkaAction, type Step, type StepContext, type TemporalAction } from "../../steps/index.js";
import { guardedDriver } from "./guarded-driver.js";

/** The part of the Kafka admin the runner needs (src/infra/kafka/executor.ts `openKafkaAdmin`). */
export interface KafkaExecutor {
  execute(action: KafkaAction): Promise<void>;
}

/** The part of the Temporal client the runner needs (src/workflows/schedules.ts `openScheduleExecutor`). */
export interface TemporalExecutor {
  execute(action: TemporalAction): Promise<void>;
}

export interface StepTargets {
  clickhouse: ClickHouseDriver;
  /** Absent when streaming is not configured: a kafka step then fails with a clear message. */
  kafka?: KafkaExecutor;
  /** Absent when workflows are not enabled: a temporal step is then skipped with a warning. */
  temporal?: TemporalExecutor;
  log: (message: string) => void;
  /** Rows copied so far by a table rebuild's copy step. */
  onProgress?: ProgressListener;
  /** Whether hand-written `run` steps may send statements that lose data (they are judged as they run). */
  allowDataLoss: boolean;
}

/**
 * Returns true when the step changed nothing outside moose's own state (a note). `retry`: a SQL
 * step on a cluster resumed on the hosts where it failed, each sent it alone.
 */
export async function executeStep(step: Step, targets: StepTargets, context: Omit<StepContext, "clickhouse" | "log">, retry?: HostRetry): Promise<{ stateOnly: boolean }> {
  if ("sql" in step) {
    await executeSqlStep(targets.clickhouse, step, targets.onProgress, retry);
    return { stateOnly: false };
  }
  if ("kafka" in step) {
    if (!targets.kafka) {
      throw new MooseError("MIGRATION_STREAMING_NOT_CONFIGURED", `this step needs Kafka (${Object.keys(step.kafka)[0]}), but streaming is not configured`, {
        config: { key: "features.streaming_engine" },
        hint: "set features.streaming_engine = true and redpanda_config.broker in moose.config.toml (or MOOSE_REDPANDA_CONFIG__BROKER), then run the command again to resume at this step",
      });
    }
    await targets.kafka.execute(step.kafka);
    return { stateOnly: false };
  }
  if ("temporal" in step) {
    // Workflows off ([features] workflows = false): the schedule is not this environment's
    // infrastructure. The step is warned about and recorded, not run.
    if (!targets.temporal) {
      targets.log(`skipped: workflows are disabled ([features] workflows = false), so ${stepSummary(step)} was not sent to Temporal`);
      return { stateOnly: true };
    }
    await targets.temporal.execute(step.temporal);
    return { stateOnly: false };
  }
  if ("note" in step) return { stateOnly: true };
  await step.run({ clickhouse: guardedDriver(targets.clickhouse, targets.allowDataLoss), log: targets.log, ...context });
  return { stateOnly: false };
}
