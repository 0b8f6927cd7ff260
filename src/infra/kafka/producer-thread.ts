/**
 * The worker thread behind ./producer.ts: idempotent @platformatic/kafka producers, connected by the
 * first send, and the answer naming each send. Failures are translated into MooseErrors here, where
 * the client's error is.
 *
 * Why not kafkajs, the client everything else uses: producing is the ingest API's hot path, and
 * kafkajs encodes every record into buffers of its own (a zero-filled 512-byte buffer per record,
 * copied into the batch; its grouping by partition is quadratic in a send's length). Producing the same
 * records costs less than half the CPU with @platformatic/kafka, and ingest → topic → table about a
 * quarter less per record (`npm run bench -- streams`, docs/performance.md "Streams").
 */
import { parentPort, workerData } from "node:worker_threads";
import { ProduceAcks, Producer } from "@platformatic/kafka";
import { kafkaRejected, kafkaUnreachable } from "./errors.js";
import { RECORD_FRAMING_BYTES, REQUEST_BYTES } from "./limits.js";
import { kafkaTimeouts } from "./timeouts.js";
import { transferError, type FromProducerThread, type ProducerThreadData, type ToProducerThread } from "./producer.js";

const LINE_FEED = 0x0a;

const { config } = workerData as ProducerThreadData;
const port = parentPort!;
const broker = config.broker;
const timeouts = kafkaTimeouts(config);
type IngestProducer = Producer<Buffer, Buffer, Buffer, Buffer>;
const newProducer = (): IngestProducer =>
  new Producer({
    clientId: "moose-ts-ingest",
    bootstrapBrokers: broker.split(",").map((address) => address.trim()).filter((address) => address !== ""),
    // Values arrive as UTF-8 already (see send): the client's default passes Buffers through.
    autocreateTopics: false,
    connectTimeout: timeouts.connectionMs,
    // How long the broker may wait for the replicas' acknowledgements.
    timeout: timeouts.requestMs,
    // kafkajs waits 100 ms, then 200 ms between its attempts; this client takes one fixed pause.
    retries: timeouts.retries,
    retryDelay: 250,
  });

/**
 * This client version (the newest whose dependencies all run on Node 20) has no timeout for a request
 * the broker accepted and never answers (a stalled broker): a send gets the bound the admin client
 * puts on a whole call, however its retries add up, and a producer that overran it is replaced, as
 * its connection may never answer again. Closing a producer waits at most CLOSE_BOUND_MS for the same reason.
 */
const SEND_DEADLINE_MS = (timeouts.retries + 1) * (timeouts.connectionMs + timeouts.requestMs) + 1000;
const CLOSE_BOUND_MS = 2000;

function closeWithin(stuck: IngestProducer): Promise<unknown> {
  let bound: NodeJS.Timeout | undefined;
  return Promise.race([stuck.close().catch(() => undefined), new Promise((resolve) => (bound = setTimeout(resolve, CLOSE_BOUND_MS)))]).finally(() => clearTimeout(bound));
}

/**
 * Idempotent sends: the broker drops a batch it already stored, so a request the client retries after
 * its answer was lost is stored once. This client version numbers a partition's next batch only once
 * the previous one was answered, so a producer may have one request in flight per topic. Sends that
 * arrive meanwhile wait in the topic's queue and go out together, in the order they came, up to
 * REQUEST_BYTES per request. PRODUCERS producers (each with a producer id, and so numbering, of its
 * own) keep that many requests of a topic in flight, so that the broker answering one overlaps with
 * the next being made. A send's own requests go one after another, so its records keep their order.
 */
const PRODUCERS = 2;
const producers: IngestProducer[] = Array.from({ length: PRODUCERS }, newProducer);

interface QueuedSend {
  records: Buffer[];
  /** How many of `records` went into requests so far. */
  taken: number;
  /** Whether a request with some of its records awaits its answer (its next ones wait for it). */
  sending: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

interface TopicQueue {
  sends: QueuedSend[];
  /** Which of `producers` have a request of this topic in flight. */
  busy: Set<number>;
}

const topics = new Map<string, TopicQueue>();
/** Requests in flight per producer: a producer replaced after a failure is closed once it has none. */
const requestsInFlight = new Map<IngestProducer, number>();
const retired = new Set<IngestProducer>();

/** `lines`: one message's JSON per line, encoded once; each message is a view of its line. */
function send(topic: string, lines: string): Promise<void> {
  const text = Buffer.from(lines, "utf8");
  const records: Buffer[] = [];
  for (let start = 0; start <= text.length; ) {
    const found = text.indexOf(LINE_FEED, start);
    const end = found === -1 ? text.length : found;
    records.push(text.subarray(start, end));
    start = end + 1;
  }
  return new Promise<void>((resolve, reject) => {
    let queue = topics.get(topic);
    if (!queue) topics.set(topic, (queue = { sends: [], busy: new Set() }));
    queue.sends.push({ records, taken: 0, sending: false, resolve, reject });
    dispatch(topic, queue);
  });
}

/** Starts a request of the topic on each producer that has none of it in flight, while records wait. */
function dispatch(topic: string, queue: TopicQueue): void {
  for (let slot = 0; slot < PRODUCERS; slot++) {
    if (queue.busy.has(slot)) continue;
    const next = nextRequest(queue.sends);
    if (!next) break;
    queue.busy.add(slot);
    void request(slot, topic, next.records)
      .then(
        () => {
          for (const sender of next.senders) sender.sending = false;
          for (const sender of next.finished) sender.resolve();
        },
        (error: unknown) => {
          // A send that lost one of its requests fails whole: the rest of it is not sent.
          for (const sender of next.senders) {
            sender.reject(error);
            const waiting = queue.sends.indexOf(sender);
            if (waiting !== -1) queue.sends.splice(waiting, 1);
          }
        },
      )
      .finally(() => {
        queue.busy.delete(slot);
        if (queue.sends.length > 0) dispatch(topic, queue);
        else if (queue.busy.size === 0) topics.delete(topic);
      });
  }
}

/**
 * The records of the next request, from the queue's head; the sends it completes leave the queue.
 * Undefined when nothing can go: the queue is empty, or its head waits for its previous request.
 */
function nextRequest(sends: QueuedSend[]): { records: Buffer[]; senders: QueuedSend[]; finished: QueuedSend[] } | undefined {
  const records: Buffer[] = [];
  const senders: QueuedSend[] = [];
  const finished: QueuedSend[] = [];
  let bytes = 0;
  while (sends.length > 0 && !sends[0]!.sending) {
    const head = sends[0]!;
    while (head.taken < head.records.length) {
      const size = head.records[head.taken]!.length + RECORD_FRAMING_BYTES;
      // A send none of whose records fit stays free for the next request (on the other producer).
      if (bytes + size > REQUEST_BYTES && records.length > 0) return { records, senders, finished };
      if (!head.sending) {
        head.sending = true;
        senders.push(head);
      }
      records.push(head.records[head.taken++]!);
      bytes += size;
    }
    finished.push(sends.shift()!);
  }
  return records.length > 0 ? { records, senders, finished } : undefined;
}

/**
 * One produce request on producers[slot], bounded by SEND_DEADLINE_MS. After any failure that
 * producer is replaced: this client numbers a partition's batches from what the broker acknowledged,
 * so a request that failed after the broker stored it would leave the next one numbered as its
 * duplicate, which the broker acknowledges without storing. A new producer gets a new producer id.
 */
async function request(slot: number, topic: string, records: Buffer[]): Promise<void> {
  const used = producers[slot]!;
  requestsInFlight.set(used, (requestsInFlight.get(used) ?? 0) + 1);
  let deadline: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      // Every in-sync replica has each record before the POST is answered, as with kafkajs's default;
      // given per send, as the client's default for a send is the leader's answer alone. Idempotence
      // too: given to the constructor it would also make the client retry without end.
      used.send({ messages: records.map((value) => ({ topic, value })), acks: ProduceAcks.ALL, idempotent: true }),
      new Promise<never>((_, reject) => {
        deadline = setTimeout(() => reject(kafkaUnreachable(broker, `no answer within ${SEND_DEADLINE_MS} ms`)), SEND_DEADLINE_MS);
      }),
    ]);
  } catch (error) {
    // Other topics' requests on it finish before it is closed.
    if (producers[slot] === used) {
      producers[slot] = newProducer();
      retired.add(used);
    }
    throw translate(error, topic);
  } finally {
    clearTimeout(deadline);
    const left = requestsInFlight.get(used)! - 1;
    if (left > 0) requestsInFlight.set(used, left);
    else {
      requestsInFlight.delete(used);
      if (retired.delete(used)) void closeWithin(used);
    }
  }
}

interface ClientError extends Error {
  code?: string;
  apiId?: string;
  errors?: unknown[];
}

/** The client's errors, depth first: its MultipleErrors hold one per attempt or broker, each with causes. */
function* clientErrors(error: unknown): Generator<ClientError> {
  if (!(error instanceof Error)) return;
  yield error as ClientError;
  for (const inner of (error as ClientError).errors ?? []) yield* clientErrors(inner);
  yield* clientErrors(error.cause);
}

/**
 * No broker could be talked to → KAFKA_UNREACHABLE; a broker's refusal → KAFKA_REJECTED; anything
 * else is a bug. The last of these the client met decides: its attempts come in order, and a
 * connection reset followed by a refusal is the refusal.
 */
function translate(error: unknown, topic: string): unknown {
  for (const inner of [...clientErrors(error)].reverse()) {
    if (inner.code === "PLT_KFK_NETWORK" || inner.code === "PLT_KFK_TIMEOUT") {
      return kafkaUnreachable(broker, inner.cause instanceof Error ? `${inner.message} (${inner.cause.message})` : inner.message, error);
    }
    if (inner.code === "PLT_KFK_PROTOCOL" && inner.apiId !== undefined) {
      return kafkaRejected({ broker, operation: "produce", topic, errorType: inner.apiId, message: inner.message, cause: error });
    }
    // The client checks the topic against the broker's metadata before sending, and says so only in words.
    if (inner.code === "PLT_KFK_USER" && inner.message === `Unknown topic ${topic}.`) {
      return kafkaRejected({ broker, operation: "produce", topic, errorType: "UNKNOWN_TOPIC_OR_PARTITION", message: inner.message, cause: error });
    }
  }
  return error;
}

const answer = (message: FromProducerThread) => port.postMessage(message);

/** Sends not answered yet: closing waits for them (a request still being answered over HTTP holds one). */
const inFlight = new Set<Promise<void>>();

port.on("message", (message: ToProducerThread) => {
  if (message.type === "send") {
    const sending = send(message.topic, message.lines).then(
      () => answer({ type: "sent", id: message.id }),
      (error: unknown) => answer({ type: "failed", id: message.id, error: transferError(error) }),
    );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    return;
  }
  void Promise.allSettled([...inFlight])
    .then(() => Promise.all(producers.map(closeWithin)))
    .catch(() => undefined)
    .then(() => process.exit(0));
});
