/**
 * The translation of kafkajs failures into the MooseErrors of ./errors.ts, and the questions the
 * admin executor asks of a failure (a connection lost, a refusal, a retriable one). Anything else is
 * a bug and is rethrown as is.
 */
import kafkajs from "kafkajs";
import type { KafkaJSProtocolError } from "kafkajs";
import { MooseError } from "../../errors.js";
import { kafkaRejected, kafkaUnreachable } from "./errors.js";

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
