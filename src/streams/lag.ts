/**
 * A process's lag: records on its source topic that its consumer group has not committed yet —
 * per partition the high watermark minus the committed offset (or minus the low watermark when
 * the group has committed nothing or only offsets the broker has since deleted), summed.
 *
 * `/health` is unauthenticated and probed often: the lags are measured over one kept admin
 * connection and reused for `LAG_MAX_AGE_MS`, so no rate of probes opens connections or floods the
 * broker; one measurement runs at a time, and a broker that does not answer within
 * `LAG_DEADLINE_MS` leaves the lags unknown (kafkajs takes seconds to give up on a broker that is gone).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Admin } from "kafkajs";
import type { Kafka } from "./kafka.js";

export interface LagSource {
  readonly status: { id: string };
  readonly groupId: string;
  readonly topic: string;
}

/** How long a measured lag is answered again before the broker is asked anew. */
export const LAG_MAX_AGE_MS = 2000;
/** How long a caller waits for a measurement before its lags count as unknown. */
export const LAG_DEADLINE_MS = 2000;

export class LagProbe {
  private admin?: Promise<Admin>;
  private last?: { at: number; processes: string; lags: Promise<Map<string, number>> };
  private measuring?: Promise<Map<string, number>>;

  constructor(
    private readonly kafka: Kafka,
    private readonly maxAgeMs = LAG_MAX_AGE_MS,
  ) {}

  /** Lag by process id; a process whose offsets the broker did not give is left out. */
  lags(processes: LagSource[]): Promise<Map<string, number>> {
    const key = processes.map((process) => `${process.status.id} ${process.groupId} ${process.topic}`).join("\n");
    if (this.last && this.last.processes === key && Date.now() - this.last.at < this.maxAgeMs) return this.last.lags;
    this.measuring ??= this.measure(processes).finally(() => (this.measuring = undefined));
    const lags = Promise.race([this.measuring, sleep(LAG_DEADLINE_MS, new Map<string, number>(), { ref: false })]);
    this.last = { at: Date.now(), processes: key, lags };
    return lags;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((connected) => connected.disconnect()).catch(() => undefined);
  }

  private async connect(): Promise<Admin> {
    // A broker that does not answer makes the lag unknown at once, not after retries.
    const admin = this.kafka.admin({ retry: { retries: 0 } });
    await admin.connect();
    return admin;
  }

  private async measure(processes: LagSource[]): Promise<Map<string, number>> {
    const lags = new Map<string, number>();
    if (processes.length === 0) return lags;
    let unanswered = false;
    try {
      this.admin ??= this.connect();
      const admin = await this.admin;
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
              // Records before the low watermark are gone (retention, deleteRecords): never read, never lag.
              const from = done.get(partition) ?? -1n;
              const start = from < BigInt(low) ? BigInt(low) : from;
              if (BigInt(high) > start) lag += BigInt(high) - start;
            }
            lags.set(process.status.id, Number(lag));
          } catch {
            // No answer for this one: its lag is unknown, not zero.
            unanswered = true;
          }
        }),
      );
    } catch {
      // Broker unreachable: every lag unknown.
      unanswered = true;
    }
    // The next measurement starts from a fresh connection (the broker may have restarted).
    if (unanswered) await this.close();
    return lags;
  }
}
