/**
 * Topic steps right after a broker started: `scripts/kafka-local start` prints the address, and at
 * once a migration creates several topics in a row. A fresh KRaft broker can still answer metadata
 * requests from a cache that lags its controller (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE,
 * no leader yet); every step must still succeed, and return only once the topic is served with a
 * leader for each partition. Always fresh brokers of its own (MOOSE_TEST_KAFKA_BROKER is not used),
 * as many rounds as fit in the time budget, at least MIN_ROUNDS.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import kafkajs from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { openKafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { freePort, KAFKA_LOCAL, redpandaConfig } from "../../helpers/kafka.js";

const run = promisify(execFile);
const MIN_ROUNDS = 3;
/** Rounds start while less than this has passed (a round is a broker start, the steps, a stop). */
const BUDGET_MS = 40_000;
const TOPICS = [
  { topic: "Events", partitions: 1 },
  { topic: "EventsDoubled", partitions: 3 },
  { topic: "Totals", partitions: 2 },
  { topic: "Audit", partitions: 1 },
];

const started = new Set<number>();
const stopping: Promise<unknown>[] = [];

/** Stops in the background, so the next round's broker starts meanwhile. */
function stop(port: number): void {
  started.delete(port);
  stopping.push(run(KAFKA_LOCAL, ["stop", "--port", String(port)], { timeout: 60_000 }).catch(() => undefined));
}

afterAll(async () => {
  for (const port of [...started]) stop(port);
  await Promise.all(stopping);
}, 60_000);

/** What a separate client sees: each topic's partitions and their leaders. */
async function served(broker: string, topics: string[]): Promise<Record<string, number[]>> {
  const admin = new kafkajs.Kafka({ clientId: "fresh-broker-check", brokers: [broker], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics });
    return Object.fromEntries(metadata.topics.map((topic) => [topic.name, topic.partitions.map((partition) => partition.leader)]));
  } finally {
    await admin.disconnect();
  }
}

describe("topic steps on a broker that has just started", () => {
  it(
    "creates several topics in a row, each served with leaders when its step returns, round after round",
    async () => {
      const begin = Date.now();
      let rounds = 0;
      while (rounds < MIN_ROUNDS || Date.now() - begin < BUDGET_MS) {
        const port = await freePort();
        started.add(port);
        const { stdout } = await run(KAFKA_LOCAL, ["start", "--port", String(port)], { timeout: 120_000 });
        const broker = stdout.trim();
        const admin = openKafkaAdmin(redpandaConfig({ broker, namespace: "" }));
        try {
          for (const { topic, partitions } of TOPICS) {
            await admin.execute({ createTopic: { topic, partitions, config: {} } });
            // At this point the step is journaled as done: the topic must be there for anyone.
            const leaders = (await served(broker, [topic]))[topic];
            expect(leaders, `round ${rounds + 1}, ${topic}`).toHaveLength(partitions);
            expect(leaders!.every((leader) => leader >= 0), `round ${rounds + 1}, ${topic}: leaders ${leaders}`).toBe(true);
          }
          const all = await served(broker, TOPICS.map(({ topic }) => topic));
          expect(Object.keys(all).sort()).toEqual(TOPICS.map(({ topic }) => topic).sort());
        } finally {
          await admin.close();
        }
        stop(port);
        rounds++;
      }
      expect(rounds).toBeGreaterThanOrEqual(MIN_ROUNDS);
    },
    180_000,
  );
});
