/**
 * The Kafka producer actor: takes records from a sender over its `records` channel, batches them (linger, max batch
 * bytes), produces them with an idempotent kafkajs producer and `acks=all`, and acknowledges each record back to the
 * sender with where Kafka stored it. Speaks protocols/broker.ts. Restart: permanent.
 *
 * **Delivery.** Each incarnation has an epoch (a random id) that it announces with `hello`; the sender's outbox
 * ({@linkcode ProducerOutbox}) then (re-)sends every record not yet acknowledged, tagged with that epoch, and this
 * actor ignores records tagged for an older epoch. A crash therefore loses nothing that the outbox still holds; a
 * record that Kafka stored but whose acknowledgement died with the crashed incarnation is produced twice.
 *
 * **Broker unreachable.** The actor becomes ready at once and connects in the background, retrying with backoff
 * (capped at 10 s) for ever; each failure is emitted as a `brokerStatus` notice with the cause, so the operator
 * sees why instead of a crash loop. Records wait meanwhile (the outbox bounds them).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Producer, TopicMessages } from "kafkajs";
import type { ConnectionOptions, ProduceRecord, ProducerLink, ProducerProtocol } from "../../protocols/broker.ts";
import { type ActorContext, defineActor } from "../runtime/actor.ts";
import { causeOf } from "./admin.ts";
import { createKafka, describeConnection } from "./connection.ts";
import { deliveriesOf, type Pending } from "./produce_batch.ts";

/** Configuration of the producer actor. */
export interface ProducerConfig {
  connection: ConnectionOptions;
  /** how long a record may wait for others to fill a batch. @default 5 */
  lingerMs?: number;
  /** bytes per produce request; a larger record goes alone. @default 1048576 */
  batchBytes?: number;
  /** @default "none" */
  compression?: "none" | "gzip";
  /** larger records are refused at the edge. @default 209715200 (200 MiB) */
  maxRecordBytes?: number;
}

interface State {
  config: Required<Omit<ProducerConfig, "connection">> & { connection: ConnectionOptions };
  epoch: string;
  producer: Producer;
  connected: boolean;
  attempts: number;
  queue: Pending[];
  queuedBytes: number;
  sending: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  stopped: boolean;
  stats: {
    received: number;
    acked: number;
    failed: number;
    staleEpoch: number;
    rejected: number;
    bytesAcked: number;
    requests: number;
  };
}

type Ctx = ActorContext<ProducerProtocol>;

const MAX_RETRY_MS = 10_000;

export default defineActor<ProducerProtocol, ProducerConfig, State>({
  init(config, ctx) {
    const full = {
      connection: config.connection,
      lingerMs: config.lingerMs ?? 5,
      batchBytes: config.batchBytes ?? 1024 * 1024,
      compression: config.compression ?? "none",
      maxRecordBytes: config.maxRecordBytes ?? 200 * 1024 * 1024,
    };
    const kafka = createKafka(config.connection);
    const state: State = {
      config: full,
      epoch: crypto.randomUUID(),
      producer: kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
      connected: false,
      attempts: 0,
      queue: [],
      queuedBytes: 0,
      sending: false,
      timer: undefined,
      stopped: false,
      stats: { received: 0, acked: 0, failed: 0, staleEpoch: 0, rejected: 0, bytesAcked: 0, requests: 0 },
    };
    const port = ctx.port("records");
    port.onMessage((m) => accept(state, ctx, m));
    port.post({ type: "hello", epoch: state.epoch });
    void connect(state, ctx);
    return state;
  },
  requests: {
    stats: (state) => ({
      ...state.stats,
      queued: state.queue.length,
      queuedBytes: state.queuedBytes,
      connected: state.connected,
    }),
  },
  async terminate(state) {
    state.stopped = true;
    clearTimeout(state.timer);
    await state.producer.disconnect().catch(() => {});
  },
});

function accept(state: State, ctx: Ctx, m: ProducerLink): void {
  if (m.type !== "produce") return;
  if (m.epoch !== state.epoch) {
    state.stats.staleEpoch++;
    return;
  }
  const problem = invalid(m.record, state.config.maxRecordBytes);
  if (problem) {
    state.stats.rejected++;
    ctx.port("records").post({ type: "failed", ids: [m.id], error: problem });
    return;
  }
  state.stats.received++;
  state.queue.push({ id: m.id, record: m.record });
  state.queuedBytes += m.record.value.byteLength;
  schedule(state, ctx);
}

function invalid(r: ProduceRecord, maxBytes: number): string | null {
  if (!r || typeof r.topic !== "string" || r.topic === "") return `record has no topic`;
  if (!(r.value instanceof Uint8Array)) return `record for ${r.topic} has no Uint8Array value`;
  if (r.value.byteLength > maxBytes) {
    return `record of ${r.value.byteLength} bytes for ${r.topic} exceeds maxRecordBytes ${maxBytes}`;
  }
  if (r.partition !== undefined && !(Number.isInteger(r.partition) && r.partition >= 0)) {
    return `record for ${r.topic} has partition ${r.partition}; use an integer ≥ 0`;
  }
  if (r.timestampMs !== undefined && !(Number.isFinite(r.timestampMs) && r.timestampMs >= 0)) {
    return `record for ${r.topic} has timestamp ${r.timestampMs}; use ms since the epoch`;
  }
  return null;
}

async function connect(state: State, ctx: Ctx): Promise<void> {
  while (!state.stopped && !state.connected) {
    try {
      await state.producer.connect();
      state.connected = true;
      state.attempts = 0;
      ctx.emit({ type: "brokerStatus", connected: true, attempts: 0 });
      schedule(state, ctx);
    } catch (error) {
      state.attempts++;
      const why = `Cannot connect to Kafka at ${describeConnection(state.config.connection)}: ${causeOf(error)}`;
      ctx.emit({ type: "brokerStatus", connected: false, error: why, attempts: state.attempts });
      await sleep(Math.min(MAX_RETRY_MS, 250 * 2 ** Math.min(state.attempts, 6)));
    }
  }
}

function schedule(state: State, ctx: Ctx): void {
  if (state.sending || !state.connected || state.queue.length === 0) return;
  if (state.queuedBytes >= state.config.batchBytes || state.config.lingerMs === 0) {
    clearTimeout(state.timer);
    state.timer = undefined;
    void sendNext(state, ctx);
  } else {
    state.timer ??= setTimeout(() => {
      state.timer = undefined;
      void sendNext(state, ctx);
    }, state.config.lingerMs);
  }
}

function takeBatch(state: State): Pending[] {
  let bytes = 0;
  let n = 0;
  while (n < state.queue.length) {
    const size = state.queue[n].record.value.byteLength;
    if (n > 0 && bytes + size > state.config.batchBytes) break;
    bytes += size;
    n++;
  }
  state.queuedBytes -= bytes;
  return state.queue.splice(0, n);
}

async function sendNext(state: State, ctx: Ctx): Promise<void> {
  if (state.sending || !state.connected || state.queue.length === 0 || state.stopped) return;
  state.sending = true;
  const batch = takeBatch(state);
  try {
    await produce(state, ctx, batch);
  } catch (error) {
    if (isRetriable(error)) {
      state.queue.unshift(...batch);
      state.queuedBytes += batch.reduce((n, p) => n + p.record.value.byteLength, 0);
      state.connected = false;
      state.sending = false;
      void connect(state, ctx);
      return;
    }
    await failApart(state, ctx, batch, error);
  }
  state.sending = false;
  schedule(state, ctx);
}

async function produce(state: State, ctx: Ctx, batch: Pending[]): Promise<void> {
  const byTopic = new Map<string, Pending[]>();
  for (const p of batch) {
    const list = byTopic.get(p.record.topic) ?? [];
    list.push(p);
    byTopic.set(p.record.topic, list);
  }
  const topicMessages: TopicMessages[] = [...byTopic].map(([topic, list]) => ({
    topic,
    messages: list.map(({ record: r }) => ({
      key: r.key === undefined ? null : typeof r.key === "string" ? r.key : toBuffer(r.key),
      value: toBuffer(r.value),
      partition: r.partition,
      timestamp: r.timestampMs === undefined ? undefined : String(r.timestampMs),
      headers: r.headers,
    })),
  }));
  state.stats.requests++;
  const result = await state.producer.sendBatch({
    topicMessages,
    acks: -1,
    compression: state.config.compression === "gzip" ? 1 : 0,
  });
  const deliveries = deliveriesOf(byTopic, result);
  state.stats.acked += batch.length;
  state.stats.bytesAcked += batch.reduce((n, p) => n + p.record.value.byteLength, 0);
  ctx.port("records").post({ type: "acked", deliveries });
}

/** A batch failed for good: find which records cannot be produced by sending them one at a time. */
async function failApart(state: State, ctx: Ctx, batch: Pending[], error: unknown): Promise<void> {
  if (batch.length === 1) {
    state.stats.failed++;
    const r = batch[0].record;
    const why = `Cannot produce ${r.value.byteLength} bytes to ${r.topic}: ${causeOf(error)}`;
    ctx.port("records").post({ type: "failed", ids: [batch[0].id], error: why });
    return;
  }
  for (const p of batch) {
    try {
      await produce(state, ctx, [p]);
    } catch (e) {
      if (isRetriable(e)) throw e;
      await failApart(state, ctx, [p], e);
    }
  }
}

function isRetriable(error: unknown): boolean {
  let e = error as { retriable?: boolean; name?: string; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.name === "KafkaJSConnectionError" || e.name === "KafkaJSRequestTimeoutError") return true;
    if (e.name === "KafkaJSNumberOfRetriesExceeded" || e.name === "KafkaJSConnectionClosedError") return true;
    if (e.retriable) return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
