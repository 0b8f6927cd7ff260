/**
 * Runs kafka migration steps against `redpanda_config.broker` with the kafkajs admin client.
 *
 * Every action is idempotent, so the runner can retry a step that failed half-way: creating a topic
 * that exists with the same settings, deleting a missing topic, setting a config to its current value
 * or adding partitions up to the current count do nothing. Steps are checked before any connection
 * (bad payloads, partition decreases), and the connection is opened lazily on the first step that
 * needs it. Timeouts derive from `message_timeout_ms` and retries are few, so a dead or silent broker
 * fails within seconds with KAFKA_UNREACHABLE. Refusals Kafka marks retriable (a broker's metadata
 * lagging its controller, leader elections) are retried with backoff within the same bound, and a
 * step that creates partitions returns only once every one of them is served with a leader. With
 * several bootstrap addresses, a broker lost mid-call is not the end: the call reconnects through
 * another and runs again, so a step the remaining brokers can serve succeeds.
 */
import kafkajs from "kafkajs";
import type { Admin, ConfigEntries, LogEntry } from "kafkajs";
import type { Config } from "../../config/types.js";
import { MooseError } from "../../errors.js";
import type { KafkaAction } from "../../steps/index.js";
import { checkKafkaAction, type CheckedKafkaAction } from "./actions.js";
import { kafkaUnreachable, partitionDecrease, topicConflict, topicNotFound, topicNotReady } from "./errors.js";
import { isConnectionFailure, isRefusal, isRetriableRefusal, toMooseError } from "./kafkajs-failures.js";
import { kafkaTimeouts, type KafkaTimeouts } from "./timeouts.js";
import { brokerTopicName, isInternalTopic, modelTopicName } from "./topics.js";

export type KafkaLogLevel = "error" | "warn" | "info" | "debug";

export interface KafkaAdminOptions {
  clientId?: string;
  /** Receives kafkajs's own log lines (warn and above); without it they are dropped, never printed. */
  log?: (level: KafkaLogLevel, message: string, details: Record<string, unknown>) => void;
  /** Overrides of the timeouts derived from `message_timeout_ms` (see `kafkaTimeouts`). */
  timeouts?: Partial<KafkaTimeouts>;
}

/** One topic as the broker reports it. */
export interface TopicDescription {
  /** The model's name (without the `redpanda_config.namespace` prefix). */
  name: string;
  /** The name on the broker. */
  topic: string;
  partitionCount: number;
  replicationFactor: number;
  /** Effective value of every topic config (broker defaults included). */
  configs: Record<string, string>;
  /** The configs set on the topic itself rather than inherited from the broker. */
  overrides: string[];
}

export interface KafkaAdmin {
  /** The bootstrap address in use (for messages). */
  readonly broker: string;
  /** Apply one kafka step; idempotent. */
  execute(action: KafkaAction): Promise<void>;
  /** The named topics (model names) that exist, or every topic in the namespace when `names` is omitted. */
  describeTopics(names?: string[]): Promise<TopicDescription[]>;
  close(): Promise<void>;
}

const TOPIC_CONFIG_SOURCE = 1; // ConfigSource.TOPIC_CONFIG: set on the topic, not inherited
/**
 * Brokers learn of a new topic from the controller a moment apart, so one created a moment ago through
 * another broker may not be listed by the broker asked: a topic a step needs is looked for this long.
 */
const METADATA_LAG_MS = 2000;
const DELETE_POLL_MS = 100;
/** Backoff between attempts after a retriable refusal, and between polls for a topic's leaders. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A handle on the broker's admin API. Nothing connects until the first call that needs the broker. */
export function openKafkaAdmin(config: Config["redpanda_config"], options: KafkaAdminOptions = {}): KafkaAdmin {
  const broker = config.broker;
  const brokers = broker.split(",").map((address) => address.trim()).filter((address) => address !== "");
  const timeouts = kafkaTimeouts(config, options.timeouts);
  const operationTimeoutMs = Math.floor(timeouts.requestMs / 2);
  // kafkajs retries inside its own calls; this bounds a whole call however those retries add up.
  const callDeadlineMs = (timeouts.retries + 1) * (timeouts.connectionMs + timeouts.requestMs) + 1000;

  const retry = { retries: timeouts.retries, initialRetryTime: 100, maxRetryTime: 1000 };

  const kafka = new kafkajs.Kafka({
    clientId: options.clientId ?? "moose-ts",
    brokers,
    connectionTimeout: timeouts.connectionMs,
    requestTimeout: timeouts.requestMs,
    retry,
    logLevel: options.log ? kafkajs.logLevel.WARN : kafkajs.logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      const { message, timestamp: _timestamp, ...details } = entry.log;
      options.log?.(levelName(entry.level), `${entry.namespace}: ${message}`, details);
    },
  });
  const admin: Admin = kafka.admin({ retry });
  let connection: Promise<void> | undefined;

  async function connected(): Promise<void> {
    if (brokers.length === 0) throw kafkaUnreachable(broker, "no broker address is configured");
    connection ??= admin.connect().catch((error: unknown) => {
      connection = undefined; // the next call tries again
      // Whatever failed while connecting, the broker is not usable: never let it pass as a bug.
      const mapped = toMooseError(error, broker, "connect");
      throw mapped instanceof MooseError ? mapped : kafkaUnreachable(broker, String((error as Error)?.message ?? error), error);
    });
    await connection;
  }

  /** A fresh connection on the next call, through whichever bootstrap address answers (kafkajs rotates them). */
  async function reconnect(): Promise<void> {
    connection = undefined;
    await admin.disconnect().catch(() => {});
  }

  /**
   * Run `work` connected, within the call deadline, with kafkajs failures turned into MooseErrors.
   * Every action is idempotent, so a retriable refusal reruns all of it after a backoff.
   */
  async function call<T>(operation: string, topic: string | undefined, work: (deadline: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + callDeadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(kafkaUnreachable(broker, `no answer to "${operation}" within ${callDeadlineMs} ms`)),
        callDeadlineMs,
      );
    });
    const attempts = async (): Promise<T> => {
      for (let pause = RETRY_FIRST_MS; ; pause = Math.min(2 * pause, RETRY_MAX_MS)) {
        let connectedBefore = false;
        try {
          await connected();
          connectedBefore = true;
          return await work(deadline);
        } catch (error) {
          // A broker of several lost mid-call (killed, restarting): the others may serve the call. A
          // connect that fails has tried every address already, and one broker lost is all of them.
          const brokerLost = connectedBefore && brokers.length > 1 && isConnectionFailure(error);
          if (!(brokerLost || isRetriableRefusal(error)) || Date.now() + pause >= deadline) throw error;
          if (brokerLost) await reconnect();
          await sleep(pause);
        }
      }
    };
    try {
      return await Promise.race([attempts(), expired]);
    } catch (error) {
      throw toMooseError(error, broker, operation, topic);
    } finally {
      clearTimeout(timer);
    }
  }

  async function describe(topics: string[]): Promise<TopicDescription[]> {
    const existing = new Set(await admin.listTopics());
    const wanted = topics.filter((topic) => existing.has(topic));
    if (wanted.length === 0) return [];
    const [metadata, configs] = await Promise.all([
      admin.fetchTopicMetadata({ topics: wanted }),
      admin.describeConfigs({
        includeSynonyms: false,
        resources: wanted.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name })),
      }),
    ]);
    const entriesByTopic = new Map(configs.resources.map((resource) => [resource.resourceName, resource.configEntries]));
    return metadata.topics.map((topicMetadata) => {
      const entries: ConfigEntries[] = entriesByTopic.get(topicMetadata.name) ?? [];
      return {
        name: modelTopicName(config.namespace, topicMetadata.name) ?? topicMetadata.name,
        topic: topicMetadata.name,
        partitionCount: topicMetadata.partitions.length,
        replicationFactor: topicMetadata.partitions[0]?.replicas.length ?? 0,
        configs: Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue])),
        overrides: entries.filter((entry) => entry.configSource === TOPIC_CONFIG_SOURCE).map((entry) => entry.configName),
      };
    });
  }

  async function describeOne(topic: string): Promise<TopicDescription | undefined> {
    return (await describe([topic]))[0];
  }

  /** A topic the step needs (or just saw served): undefined only once no broker has listed it for METADATA_LAG_MS. */
  async function describeNeeded(topic: string, deadline: number): Promise<TopicDescription | undefined> {
    const until = Math.min(deadline, Date.now() + METADATA_LAG_MS);
    for (let pause = RETRY_FIRST_MS; ; pause = Math.min(2 * pause, RETRY_MAX_MS)) {
      const found = await describeOne(topic);
      if (found || Date.now() + pause >= until) return found;
      await sleep(pause);
    }
  }

  /**
   * Waits until the broker's metadata shows `topic` with at least `partitions` partitions, each with
   * a leader. A create returns once the controller has the topic; the broker that answers clients
   * catches up a moment later, and until then producers and describes get UNKNOWN_TOPIC_OR_PARTITION.
   */
  async function untilServed(topic: string, partitions: number, deadline: number): Promise<void> {
    const since = Date.now();
    for (let pause = RETRY_FIRST_MS; ; pause = Math.min(2 * pause, RETRY_MAX_MS)) {
      let seen: string;
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const found = topics.find((candidate) => candidate.name === topic);
        const led = found?.partitions.filter((partition) => partition.leader >= 0 && !partition.partitionErrorCode).length ?? 0;
        if (found && found.partitions.length >= partitions && led === found.partitions.length) return;
        seen = found ? `${led} of ${found.partitions.length} partitions with a leader` : "not in the metadata";
      } catch (error) {
        if (!isRetriableRefusal(error)) throw error;
        seen = (error as Error).message;
      }
      if (Date.now() + pause >= deadline) throw topicNotReady(topic, "served with a leader for every partition", Date.now() - since, seen);
      await sleep(pause);
    }
  }

  async function createTopic(step: Extract<CheckedKafkaAction, { kind: "createTopic" }>, deadline: number): Promise<void> {
    // Neither the stream nor the config names one: the broker's default.replication.factor (sent as -1).
    const replicationFactor = step.replicationFactor ?? config.replication_factor;
    const existing = await describeOne(step.topic);
    if (!existing) {
      // Not kafkajs's waitForLeaders: it gives up on UNKNOWN_TOPIC_OR_PARTITION, which a fresh topic
      // answers until the broker has caught up (untilServed waits through it).
      const created = await admin.createTopics({
        timeout: operationTimeoutMs,
        waitForLeaders: false,
        topics: [
          {
            topic: step.topic,
            numPartitions: step.partitions,
            replicationFactor: replicationFactor ?? -1,
            configEntries: Object.entries(step.config).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      await untilServed(step.topic, step.partitions, deadline);
      if (created) return;
    } else {
      await untilServed(step.topic, existing.partitionCount, deadline);
    }
    // It exists (before us, or created concurrently): fine only if it is what the step asks for.
    const current = existing ?? (await describeNeeded(step.topic, deadline));
    if (!current) throw topicNotFound(step.topic, "create the topic (it vanished while being created)");
    const differences = [
      ...(current.partitionCount === step.partitions ? [] : [`partitions: ${current.partitionCount} on the broker, ${step.partitions} wanted`]),
      ...(replicationFactor === undefined || current.replicationFactor === replicationFactor
        ? []
        : [`replication factor: ${current.replicationFactor} on the broker, ${replicationFactor} wanted`]),
      ...Object.entries(step.config)
        .filter(([name, value]) => current.configs[name] !== value)
        .map(([name, value]) => `${name}: ${current.configs[name] ?? "unset"} on the broker, ${value} wanted`),
    ];
    if (differences.length > 0) throw topicConflict(step.topic, differences);
  }

  async function deleteTopic(topic: string): Promise<void> {
    // Not asking whether it is listed first: the broker asked may not have heard of the topic yet. The
    // controller, which deletes it, has the last word on whether it exists.
    try {
      await admin.deleteTopics({ topics: [topic], timeout: operationTimeoutMs });
    } catch (error) {
      if (isRefusal(error, "UNKNOWN_TOPIC_OR_PARTITION")) return;
      throw error;
    }
    // Deletion finishes asynchronously; wait so that a following createTopic of the same name works.
    const until = Date.now() + timeouts.requestMs;
    while ((await admin.listTopics()).includes(topic)) {
      if (Date.now() > until) throw kafkaUnreachable(broker, `topic "${topic}" was still listed ${timeouts.requestMs} ms after its deletion`);
      await new Promise((resolve) => setTimeout(resolve, DELETE_POLL_MS));
    }
  }

  async function alterTopicConfig(step: Extract<CheckedKafkaAction, { kind: "alterTopicConfig" }>, deadline: number): Promise<void> {
    const current = await describeNeeded(step.topic, deadline);
    if (!current) throw topicNotFound(step.topic, "change its config");
    // kafkajs has no incremental alter: send the topic's complete set of overrides, changed.
    const overrides = Object.fromEntries(current.overrides.map((name) => [name, current.configs[name]!]));
    const next: Record<string, string> = { ...overrides, ...step.set };
    for (const name of step.reset) delete next[name];
    if (sameEntries(overrides, next)) return;
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: step.topic,
          configEntries: Object.entries(next).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    await untilConfigured(step.topic, next, deadline);
  }

  /**
   * Waits until the broker describes `topic` with exactly these overrides. The controller has them once
   * the alter returns; the brokers learn them a moment later, and a following alter of the same topic
   * must read them back, or its complete set of overrides (above) would undo this one.
   */
  async function untilConfigured(topic: string, overrides: Record<string, string>, deadline: number): Promise<void> {
    const since = Date.now();
    for (let pause = RETRY_FIRST_MS; ; pause = Math.min(2 * pause, RETRY_MAX_MS)) {
      const current = await describeOne(topic);
      const seen = current && Object.fromEntries(current.overrides.map((name) => [name, current.configs[name]!]));
      if (seen && sameEntries(seen, overrides)) return;
      if (Date.now() + pause >= deadline) {
        throw topicNotReady(topic, `described with the configs ${JSON.stringify(overrides)}`, Date.now() - since, seen ? JSON.stringify(seen) : "not listed");
      }
      await sleep(pause);
    }
  }

  async function addPartitions(step: Extract<CheckedKafkaAction, { kind: "addPartitions" }>, deadline: number): Promise<void> {
    const current = await describeNeeded(step.topic, deadline);
    if (!current) throw topicNotFound(step.topic, "add partitions");
    if (current.partitionCount > step.count) throw partitionDecrease(step.topic, current.partitionCount, step.count);
    if (current.partitionCount === step.count) return;
    await admin.createPartitions({ timeout: operationTimeoutMs, topicPartitions: [{ topic: step.topic, count: step.count }] });
    await untilServed(step.topic, step.count, deadline);
  }

  return {
    broker,

    async execute(action) {
      const step = checkKafkaAction(action, config.namespace);
      await call(step.kind, step.topic, async (deadline) => {
        switch (step.kind) {
          case "createTopic":
            return createTopic(step, deadline);
          case "deleteTopic":
            return deleteTopic(step.topic);
          case "alterTopicConfig":
            return alterTopicConfig(step, deadline);
          case "addPartitions":
            return addPartitions(step, deadline);
        }
      });
    },

    async describeTopics(names) {
      return call("describe topics", undefined, async () => {
        const topics =
          names === undefined
            ? (await admin.listTopics()).filter(
                (topic) => !isInternalTopic(topic) && modelTopicName(config.namespace, topic) !== undefined,
              )
            : names.map((name) => brokerTopicName(config.namespace, name));
        return describe(topics);
      });
    },

    async close() {
      connection = undefined;
      // Also after a failed connect: kafkajs may hold half-open sockets that would keep the process alive.
      await admin.disconnect();
    },
  };
}

function levelName(level: number): KafkaLogLevel {
  if (level <= kafkajs.logLevel.ERROR) return "error";
  if (level === kafkajs.logLevel.WARN) return "warn";
  return level === kafkajs.logLevel.INFO ? "info" : "debug";
}

function sameEntries(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
}
