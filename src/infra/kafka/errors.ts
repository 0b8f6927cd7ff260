/**
 * The MooseErrors of Kafka work, whichever client met the failure (kafkajs: ./kafkajs-failures.ts;
 * the ingest producer's client: ./producer-thread.ts). Connection-level failures name the broker and
 * the config key; broker refusals carry the broker's own reason. No Kafka client is loaded here.
 */
import { ExitCode, MooseError } from "../../errors.js";

const BROKER_KEY = "redpanda_config.broker";

export function kafkaUnreachable(broker: string, reason: string, cause?: unknown): MooseError {
  return new MooseError("KAFKA_UNREACHABLE", `cannot reach the Kafka broker at ${broker}: ${reason}`, {
    config: { key: BROKER_KEY },
    hint:
      `check ${BROKER_KEY} (now "${broker}"); for a local broker run \`scripts/kafka-local start\`, ` +
      "or turn streaming off with `[features] streaming_engine = false` in moose.config.toml",
    details: { broker },
    cause,
  });
}

export function partitionDecrease(topic: string, from: number, to: number): MooseError {
  return new MooseError(
    "KAFKA_PARTITION_DECREASE",
    `topic "${topic}" would go from ${from} to ${to} partitions: Kafka can only add partitions, never remove them`,
    {
      exitCode: ExitCode.blockedDestructive,
      hint:
        `keep ${from} or more partitions; to shrink, create a new stream with ${to} partitions, ` +
        "move producers and consumers to it, then remove the old one",
      details: { topic, from, to },
    },
  );
}

export function invalidAction(message: string, details: Record<string, unknown>): MooseError {
  return new MooseError("KAFKA_INVALID_STEP", message, {
    hint: "fix the kafka step in the migration file (or regenerate it with `moose migrate generate`)",
    details,
  });
}

export function topicNotFound(topic: string, operation: string): MooseError {
  return new MooseError("KAFKA_TOPIC_NOT_FOUND", `cannot ${operation}: topic "${topic}" does not exist on the broker`, {
    exitCode: ExitCode.conflict,
    hint: "the broker does not match the migration history (drift): create the topic first, or check redpanda_config.namespace",
    details: { topic },
  });
}

export function topicConflict(topic: string, differences: string[]): MooseError {
  return new MooseError(
    "KAFKA_TOPIC_CONFLICT",
    `topic "${topic}" already exists with different settings: ${differences.join("; ")}`,
    {
      exitCode: ExitCode.conflict,
      hint: "the topic was made or changed outside moose: align the stream's config with it, or delete the topic and apply again",
      details: { topic, differences },
    },
  );
}

/** The broker answered `operation` with a refusal (a Kafka error type such as `UNKNOWN_TOPIC_OR_PARTITION`). */
export function kafkaRejected(refusal: { broker: string; operation: string; topic?: string; errorType: string; message: string; cause: unknown }): MooseError {
  const { broker, operation, topic, errorType, message, cause } = refusal;
  return new MooseError("KAFKA_REJECTED", `the broker refused to ${operation}${topic ? ` for topic "${topic}"` : ""}: ${errorType} (${message})`, {
    hint: "check the topic settings in the stream's config (or the kafka step in the migration file)",
    details: { broker, topic, errorType },
    cause,
  });
}

/** `awaited`: what the step waited for, e.g. "served with a leader for every partition". */
export function topicNotReady(topic: string, awaited: string, withinMs: number, seen: string): MooseError {
  return new MooseError("KAFKA_TOPIC_NOT_READY", `topic "${topic}" was not ${awaited} within ${withinMs} ms (last seen: ${seen})`, {
    hint: "the broker is slow to settle (just started, or busy): run the command again; the step is idempotent and resumes",
    details: { topic, seen },
  });
}
