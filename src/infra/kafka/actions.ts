/**
 * Checks a kafka step before anything talks to the broker: the payload is well formed, topic names
 * are legal once namespaced, and a partition count never goes down. Returns the step in the shape
 * the executor runs, with broker-side topic names.
 */
import type { KafkaAction } from "../../steps/index.js";
import { invalidAction, partitionDecrease } from "./errors.js";
import { brokerTopicName, isLegalTopicName } from "./topics.js";

export type CheckedKafkaAction =
  | {
      kind: "createTopic";
      topic: string;
      partitions: number;
      replicationFactor?: number;
      config: Record<string, string>;
    }
  | { kind: "deleteTopic"; topic: string }
  | { kind: "alterTopicConfig"; topic: string; set: Record<string, string>; reset: string[] }
  | { kind: "addPartitions"; topic: string; count: number };

export function checkKafkaAction(action: KafkaAction, namespace: string): CheckedKafkaAction {
  const kinds = Object.keys(action ?? {});
  if (kinds.length !== 1) {
    throw invalidAction(`a kafka step needs exactly one of createTopic, deleteTopic, alterTopicConfig, addPartitions; got ${JSON.stringify(action)}`, {
      action,
    });
  }
  if ("createTopic" in action) {
    const { topic, partitions, replicationFactor, config } = action.createTopic;
    requirePositiveInteger("createTopic", "partitions", partitions);
    if (replicationFactor !== undefined) requirePositiveInteger("createTopic", "replicationFactor", replicationFactor);
    return {
      kind: "createTopic",
      topic: checkedTopic("createTopic", topic, namespace),
      partitions,
      ...(replicationFactor === undefined ? {} : { replicationFactor }),
      config: checkedConfig("createTopic", config ?? {}),
    };
  }
  if ("deleteTopic" in action) {
    return { kind: "deleteTopic", topic: checkedTopic("deleteTopic", action.deleteTopic.topic, namespace) };
  }
  if ("alterTopicConfig" in action) {
    const { topic, set = {}, reset = [] } = action.alterTopicConfig;
    if (!Array.isArray(reset) || reset.some((name) => typeof name !== "string")) {
      throw invalidAction(`alterTopicConfig: reset must be a list of config names, got ${JSON.stringify(reset)}`, { reset });
    }
    const both = reset.filter((name) => Object.hasOwn(set, name));
    if (both.length > 0) {
      throw invalidAction(`alterTopicConfig both sets and resets ${both.join(", ")} on topic "${topic}"`, { topic, both });
    }
    return {
      kind: "alterTopicConfig",
      topic: checkedTopic("alterTopicConfig", topic, namespace),
      set: checkedConfig("alterTopicConfig", set),
      reset,
    };
  }
  if ("addPartitions" in action) {
    const { topic, count, from } = action.addPartitions;
    requirePositiveInteger("addPartitions", "count", count);
    if (from !== undefined && count < from) throw partitionDecrease(topic, from, count);
    return { kind: "addPartitions", topic: checkedTopic("addPartitions", topic, namespace), count };
  }
  throw invalidAction(`unknown kafka step "${kinds[0]}"; expected createTopic, deleteTopic, alterTopicConfig or addPartitions`, {
    action,
  });
}

function checkedTopic(kind: string, name: unknown, namespace: string): string {
  if (typeof name !== "string" || name === "") throw invalidAction(`${kind} needs a topic name`, { name });
  const topic = brokerTopicName(namespace, name);
  if (!isLegalTopicName(topic)) {
    throw invalidAction(
      `${kind}: "${topic}" is not a legal Kafka topic name (up to 249 of a-z A-Z 0-9 . _ -)`,
      { topic, namespace },
    );
  }
  return topic;
}

function requirePositiveInteger(kind: string, field: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw invalidAction(`${kind}: ${field} must be a whole number of at least 1, got ${JSON.stringify(value)}`, { field, value });
  }
}

function checkedConfig(kind: string, config: Record<string, unknown>): Record<string, string> {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw invalidAction(`${kind}: topic configs must be an object of name → value, got ${JSON.stringify(config)}`, { config });
  }
  const wrong = Object.entries(config).filter(([, value]) => typeof value !== "string");
  if (wrong.length > 0) {
    throw invalidAction(`${kind}: topic config values must be strings (Kafka's own format), not ${wrong.map(([name]) => name).join(", ")}`, {
      names: wrong.map(([name]) => name),
    });
  }
  return config as Record<string, string>;
}
