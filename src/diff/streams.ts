/**
 * Streams (Kafka/Redpanda topics): create, delete, config changes (retention.ms and the rest),
 * partition increases, and message-schema changes, which break consumers.
 */
import type { StreamSpec } from "../manifest/types.js";
import { normalizeColumn, stableJson } from "./normalize.js";
import { releaseKept, type BlockedChange, type KeptChange, type Operation } from "./operations.js";
import { withRisk } from "./risk.js";

export interface StreamDiff {
  operations: Operation[];
  blocked: BlockedChange[];
  kept: KeptChange[];
}

/** All topic configs moose sets, `retention.ms` included, as Kafka strings. */
export function topicConfig(stream: StreamSpec): Record<string, string> {
  const config: Record<string, string> = {};
  for (const key of Object.keys(stream.config).sort()) config[key] = String(stream.config[key]).trim();
  config["retention.ms"] = String(stream.retentionMs);
  return config;
}

export function diffStreams(from: Record<string, StreamSpec>, to: Record<string, StreamSpec>): StreamDiff {
  const result: StreamDiff = { operations: [], blocked: [], kept: [] };
  const ids = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  for (const id of ids) {
    const before = from[id];
    const after = to[id];
    if (before?.lifeCycle === "EXTERNALLY_MANAGED" || after?.lifeCycle === "EXTERNALLY_MANAGED") continue;
    if (!before && after) {
      result.operations.push(
        withRisk({ kind: "createTopic", target: id, summary: `create topic ${id} (${after.partitionCount} partition${after.partitionCount === 1 ? "" : "s"})`, stream: after }),
      );
    } else if (before && !after) {
      if (before.lifeCycle === "DELETION_PROTECTED") {
        result.kept.push({
          section: "streams",
          target: id,
          summary: `delete topic ${id}`,
          reason: `${id} is DELETION_PROTECTED: the topic stays with its messages. ${releaseKept("object")}.`,
        });
      } else {
        result.operations.push(withRisk({ kind: "deleteTopic", target: id, summary: `delete topic ${id}`, stream: before }));
      }
    } else if (before && after) {
      diffStream(id, before, after, result);
    }
  }
  return result;
}

function diffStream(id: string, before: StreamSpec, after: StreamSpec, result: StreamDiff): void {
  if (after.partitionCount > before.partitionCount) {
    result.operations.push(
      withRisk({
        kind: "addPartitions",
        target: id,
        summary: `grow topic ${id} from ${before.partitionCount} to ${after.partitionCount} partitions`,
        topic: id,
        from: before.partitionCount,
        to: after.partitionCount,
      }),
    );
  } else if (after.partitionCount < before.partitionCount) {
    result.blocked.push({
      target: id,
      summary: `shrink topic ${id} from ${before.partitionCount} to ${after.partitionCount} partitions`,
      reason:
        "Kafka topics can only gain partitions. Keep partitionCount at " +
        `${before.partitionCount}, or create a new stream (new name or version) with ${after.partitionCount} partitions and move producers to it.`,
    });
  }

  if ((before.replicationFactor ?? null) !== (after.replicationFactor ?? null)) {
    result.blocked.push({
      target: id,
      summary: `change replication factor of topic ${id} from ${before.replicationFactor ?? "default"} to ${after.replicationFactor ?? "default"}`,
      reason:
        "a topic's replication factor changes only through a partition reassignment (kafka-reassign-partitions), which moose does not run. " +
        `Reassign with your Kafka tools, or keep replicationFactor at ${before.replicationFactor ?? "the default"}.`,
    });
  }

  const previousConfig = topicConfig(before);
  const nextConfig = topicConfig(after);
  const changes: Record<string, { from?: string; to?: string }> = {};
  for (const key of [...new Set([...Object.keys(previousConfig), ...Object.keys(nextConfig)])].sort()) {
    if (previousConfig[key] === nextConfig[key]) continue;
    changes[key] = {
      ...(previousConfig[key] !== undefined ? { from: previousConfig[key] } : {}),
      ...(nextConfig[key] !== undefined ? { to: nextConfig[key] } : {}),
    };
  }
  if (Object.keys(changes).length > 0) {
    const parts = Object.entries(changes).map(([key, change]) => `${key} ${change.from ?? "default"} → ${change.to ?? "default"}`);
    result.operations.push(
      withRisk({ kind: "alterTopicConfig", target: id, summary: `change config of topic ${id}: ${parts.join(", ")}`, topic: id, changes }),
    );
  }

  const beforeColumns = before.columns.map(normalizeColumn);
  const afterColumns = after.columns.map(normalizeColumn);
  const bySortedName = (columns: typeof beforeColumns) =>
    stableJson([...columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  if (bySortedName(beforeColumns) !== bySortedName(afterColumns)) {
    result.operations.push(
      withRisk({
        kind: "modifyStreamSchema",
        target: id,
        summary: `change message schema of topic ${id}`,
        topic: id,
        from: beforeColumns,
        to: afterColumns,
      }),
    );
  }
}
