/**
 * The broker's topics in the shape of the manifest's StreamSpec, for drift checks and plans against
 * live infrastructure: compare a `LiveTopic` with the stream's `partitionCount`, `retentionMs`,
 * `replicationFactor` and `config` directly.
 */
import type { StreamSpec } from "../../manifest/types.js";
import type { KafkaAdmin, TopicDescription } from "./executor.js";
import { RETENTION_CONFIG } from "./topics.js";

export type LiveTopic = Pick<StreamSpec, "name" | "partitionCount" | "retentionMs" | "config"> & {
  /** The name on the broker (namespace prefix included). */
  topic: string;
  /** What the broker has, always known (a stream's may be unset: the broker's default). */
  replicationFactor: number;
};

/**
 * Describe the named topics (model names; missing ones are left out), or every topic in the namespace.
 * `config` holds only what is set on the topic itself (what a stream's config can set), without
 * `retention.ms`, which is `retentionMs` (the effective value, broker default included).
 */
export async function introspectTopics(admin: KafkaAdmin, names?: string[]): Promise<LiveTopic[]> {
  const topics = await admin.describeTopics(names);
  return topics.map(liveTopic).sort((a, b) => a.name.localeCompare(b.name));
}

export function liveTopic(description: TopicDescription): LiveTopic {
  const config = Object.fromEntries(
    description.overrides
      .filter((name) => name !== RETENTION_CONFIG)
      .sort()
      .map((name) => [name, description.configs[name]!]),
  );
  return {
    name: description.name,
    topic: description.topic,
    partitionCount: description.partitionCount,
    retentionMs: Number(description.configs[RETENTION_CONFIG]),
    replicationFactor: description.replicationFactor,
    config,
  };
}
