/**
 * A process's lag: records on its source topic that its consumer group has not committed yet —
 * per partition the high watermark minus the committed offset (or minus the low watermark when
 * the group has committed nothing), summed.
 */
import type { Kafka } from "./kafka.js";

export interface LagSource {
  readonly status: { id: string };
  readonly groupId: string;
  readonly topic: string;
}

/** Lag by process id; a process whose offsets the broker did not give is left out. */
export async function consumerLag(kafka: Kafka, processes: LagSource[]): Promise<Map<string, number>> {
  const lags = new Map<string, number>();
  // /health asks for this: a broker that does not answer makes the lag unknown at once, not after retries.
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const watermarks = new Map<string, Promise<Array<{ partition: number; high: string; low: string }>>>();
    await Promise.all(
      processes.map(async (process) => {
        try {
          let topicOffsets = watermarks.get(process.topic);
          if (!topicOffsets) watermarks.set(process.topic, (topicOffsets = admin.fetchTopicOffsets(process.topic)));
          const [ends, [committed]] = await Promise.all([topicOffsets, admin.fetchOffsets({ groupId: process.groupId, topics: [process.topic] })]);
          const done = new Map((committed?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]));
          let lag = 0n;
          for (const { partition, high, low } of ends) {
            const from = done.get(partition) ?? -1n;
            const start = from < 0n ? BigInt(low) : from;
            if (BigInt(high) > start) lag += BigInt(high) - start;
          }
          lags.set(process.status.id, Number(lag));
        } catch {
          // No answer for this one: its lag is unknown, not zero.
        }
      }),
    );
  } catch {
    // Broker unreachable: every lag unknown.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return lags;
}
