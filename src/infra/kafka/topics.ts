/**
 * Topic names on the broker: the `redpanda_config.namespace` prefix and Kafka's rules for names.
 * (A stream's topic configs are built with its steps: `topicConfig` in src/diff/streams.ts.)
 */

/** Where a stream's `retentionMs` lives among the topic configs. */
export const RETENTION_CONFIG = "retention.ms";

/** Kafka's own limit on topic names (249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`). */
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function isLegalTopicName(topic: string): boolean {
  return LEGAL_TOPIC_NAME.test(topic) && topic !== "." && topic !== "..";
}

/** The topic's name on the broker: `redpanda_config.namespace` is a plain prefix. */
export function brokerTopicName(namespace: string, name: string): string {
  return `${namespace}${name}`;
}

/** The model name of a broker topic, or undefined when the topic is outside the namespace. */
export function modelTopicName(namespace: string, topic: string): string | undefined {
  if (!topic.startsWith(namespace)) return undefined;
  const name = topic.slice(namespace.length);
  return name === "" ? undefined : name;
}

/** Broker-internal topics (`__consumer_offsets`, `__transaction_state`, …) are never part of a model. */
export function isInternalTopic(topic: string): boolean {
  return topic.startsWith("__");
}
