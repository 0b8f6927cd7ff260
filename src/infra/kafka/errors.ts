/**
 * The MooseErrors of the Kafka executor, and the translation of kafkajs failures into them.
 * Connection-level failures name the broker and the config key; broker refusals carry the broker's
 * own reason. Anything else is a bug and is rethrown as is.
 */
import kafkajs from "kafkajs";
import type { KafkaJSProtocolError } from "kafkajs";
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

/**
 * Translate a kafkajs failure during `operation` on `topic`. Connection failures and timeouts become
 * KAFKA_UNREACHABLE; a broker's refusal becomes KAFKA_REJECTED with its error type; anything else is rethrown.
 */
export function toMooseError(error: unknown, broker: string, operation: string, topic?: string): unknown {
  if (error instanceof MooseError) return error;
  const unreachable = unreachableReason(error);
  if (unreachable) return kafkaUnreachable(broker, unreachable, error);
  const protocolError = findProtocolError(error);
  if (protocolError) return kafkaRejected({ broker, operation, topic, errorType: protocolError.type, message: protocolError.message, cause: error });
  return error;
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

/** Why the broker could not be talked to, or undefined when the failure is something else. */
function unreachableReason(error: unknown): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = (current as { cause?: unknown }).cause) {
    if (current instanceof kafkajs.KafkaJSRequestTimeoutError) return `the broker did not answer in time (${current.message})`;
    if (
      current instanceof kafkajs.KafkaJSConnectionError ||
      current instanceof kafkajs.KafkaJSBrokerNotFound ||
      current instanceof kafkajs.KafkaJSTimeout ||
      current.name === "KafkaJSNoBrokerAvailableError" // thrown by kafkajs, missing from its typings
    ) {
      return current.message;
    }
    // kafkajs's plain Error when the TCP connection opened but its handshake (ApiVersions) got no answer.
    if (current.message === "Broker not connected") return "something accepts connections there but does not answer as a Kafka broker";
  }
  return undefined;
}

/** `awaited`: what the step waited for, e.g. "served with a leader for every partition". */
export function topicNotReady(topic: string, awaited: string, withinMs: number, seen: string): MooseError {
  return new MooseError("KAFKA_TOPIC_NOT_READY", `topic "${topic}" was not ${awaited} within ${withinMs} ms (last seen: ${seen})`, {
    hint: "the broker is slow to settle (just started, or busy): run the command again; the step is idempotent and resumes",
    details: { topic, seen },
  });
}

/** The broker answered with this refusal (a Kafka error type such as `UNKNOWN_TOPIC_OR_PARTITION`). */
export function isRefusal(error: unknown, type: string): boolean {
  return !isConnectionFailure(error) && protocolErrors(error).some((refusal) => refusal.type === type);
}

/** The broker could not be talked to (refused, reset or timed-out connection), as opposed to a refusal it answered with. */
export function isConnectionFailure(error: unknown): boolean {
  return unreachableReason(error) !== undefined;
}

/**
 * A broker refusal that Kafka marks retriable (kafkajs `retriable`): metadata still propagating from
 * the controller (UNKNOWN_TOPIC_OR_PARTITION right after a create), a leader election, a moved
 * controller. Connection failures are not: a dead broker must fail fast.
 */
export function isRetriableRefusal(error: unknown): boolean {
  if (unreachableReason(error)) return false;
  const refusals = protocolErrors(error);
  return refusals.length > 0 && refusals.every((refusal) => refusal.retriable);
}

function protocolErrors(error: unknown): KafkaJSProtocolError[] {
  if (error instanceof kafkajs.KafkaJSProtocolError) return [error];
  if (error instanceof kafkajs.KafkaJSAggregateError) return error.errors.flatMap((inner) => protocolErrors(inner));
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  return cause === undefined ? [] : protocolErrors(cause);
}

function findProtocolError(error: unknown): KafkaJSProtocolError | undefined {
  if (error instanceof kafkajs.KafkaJSProtocolError) return error;
  if (error instanceof kafkajs.KafkaJSAggregateError) {
    return error.errors.find((inner): inner is KafkaJSProtocolError => inner instanceof kafkajs.KafkaJSProtocolError);
  }
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  return cause === undefined ? undefined : findProtocolError(cause);
}
