/**
 * The Kafka producer actor: takes records from a sender over its `records` channel, batches them (linger, max batch
 * bytes), produces them with an idempotent producer and `acks=all` (one request per partition, see
 * `produce_batch.ts`), and acknowledges each record back to the sender with its partition and offset. Speaks
 * protocols/broker.ts. Restart: permanent.
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
import { Producer } from "@platformatic/kafka";
import type {
  ConnectionOptions,
  ProduceRecord,
  ProducerLink,
  ProducerProtocol,
  ProducerStats,
} from "../../protocols/broker.ts";
import { type ActorContext, defineActor } from "../runtime/actor.ts";
import { BrokerAdmin, causeOf } from "./admin.ts";
import { clientOptions, describeConnection } from "./connection.ts";
import { failureKind } from "./errors.ts";
import {
  byPartition,
  chunksWithin,
  deliveriesOf,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  PartitionChooser,
  type Pending,
  toHeaders,
} from "./produce_batch.ts";

/** Configuration of the producer actor. */
export interface ProducerConfig {
  connection: ConnectionOptions;
  /** how long a record may wait for others to fill a batch. @default 5 */
  lingerMs?: number;
  /**
   * bytes taken from the queue per round of produce requests; a larger record goes alone. Each partition's share is
   * cut further to fit the topic's `max.message.bytes`, so a value above it is safe. @default 1048576
   */
  batchBytes?: number;
  /** @default "none" */
  compression?: "none" | "gzip";
  /** larger records are refused at the edge. @default 209715200 (200 MiB) */
  maxRecordBytes?: number;
  /**
   * rounds of requests under way at once; a partition's runs still go one after the other, in order, so only
   * different partitions' requests and the next round's preparation overlap. @default 3
   */
  maxInFlight?: number;
}

interface State {
  config: Required<Omit<ProducerConfig, "connection">> & { connection: ConnectionOptions };
  epoch: string;
  /** the client; after a failed request it takes a new producer id by itself (its sequences are then unknown). */
  producer: Producer;
  admin: Promise<BrokerAdmin> | null;
  /** partition count of each topic produced to, refreshed after a failed request. */
  partitions: Map<string, number>;
  /** each topic's max.message.bytes: the most one partition's request may carry. */
  limits: Map<string, number>;
  chooser: PartitionChooser;
  connected: boolean;
  attempts: number;
  queue: Pending[];
  queuedBytes: number;
  /** rounds under way. */
  inFlight: number;
  /** each round's partitions are chosen after the previous round's, so that runs are chained in queue order. */
  prepared: Promise<unknown>;
  /** the last run of each topic-partition under way: the next run of that partition starts after it. */
  tails: Map<string, Promise<void>>;
  /** a run failed in a way that is retried: no new round starts; when the rounds under way ended, `retry` is queued. */
  halted: boolean;
  /** topic-partitions whose runs failed: their later runs are not sent but retried, in order. */
  broken: Set<string>;
  retry: Pending[];
  timer: ReturnType<typeof setTimeout> | undefined;
  stopped: boolean;
  stats: Omit<ProducerStats, "queued" | "queuedBytes" | "connected">;
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
      maxInFlight: config.maxInFlight ?? 3,
    };
    const state: State = {
      config: full,
      epoch: crypto.randomUUID(),
      producer: new Producer({ ...clientOptions(config.connection), idempotent: true, acks: -1 }),
      admin: null,
      partitions: new Map(),
      limits: new Map(),
      chooser: new PartitionChooser(),
      connected: false,
      attempts: 0,
      queue: [],
      queuedBytes: 0,
      inFlight: 0,
      prepared: Promise.resolve(),
      tails: new Map(),
      halted: false,
      broken: new Set(),
      retry: [],
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
    await state.producer.close(true).catch(() => {});
    await (await state.admin?.catch(() => null))?.close().catch(() => {});
  },
});

function accept(state: State, ctx: Ctx, m: ProducerLink): void {
  if (m.type === "attach") return ctx.port("records").post({ type: "hello", epoch: state.epoch });
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
      await state.producer.metadata({ topics: [], forceUpdate: true });
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
  if (!ready(state)) return;
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

/** Whether a new round may start. */
function ready(state: State): boolean {
  return state.inFlight < state.config.maxInFlight && !state.halted && state.connected && !state.stopped &&
    state.queue.length > 0;
}

/**
 * One round: takes a batch from the queue, chooses its partitions, and sends each partition's runs after that
 * partition's runs of earlier rounds. Up to `maxInFlight` rounds overlap.
 */
async function sendNext(state: State, ctx: Ctx): Promise<void> {
  if (!ready(state)) return;
  state.inFlight++;
  const batch = takeBatch(state);
  const runs: Promise<void>[] = [];
  const prepared = state.prepared.then(() => choosePartitions(state, ctx, batch));
  state.prepared = prepared.catch(() => {});
  try {
    const chosen = await prepared;
    for (const group of byPartition(chosen)) {
      const key = `${group[0].record.topic}\u0000${group[0].partition}`;
      const chunks = chunksWithin(group, state.limits.get(group[0].record.topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
      const run = (state.tails.get(key) ?? Promise.resolve()).then(() => produceInOrder(state, ctx, key, chunks));
      state.tails.set(key, run);
      runs.push(run.finally(() => state.tails.get(key) === run && state.tails.delete(key)));
    }
  } catch (error) {
    // the cluster's metadata could not be read: no record's fault (records for missing topics are failed above)
    ctx.emit({ type: "brokerStatus", connected: false, error: causeOf(error), attempts: state.attempts + 1 });
    state.halted = true;
    state.retry.push(...batch);
  }
  await Promise.all(runs);
  state.inFlight--;
  if (state.halted) {
    if (state.inFlight === 0) requeue(state, ctx);
    return;
  }
  schedule(state, ctx);
}

/** Every round ended after a failure: the records to retry go back to the head of the queue, in order; reconnect. */
function requeue(state: State, ctx: Ctx): void {
  const retry = state.retry.sort((a, b) => a.id - b.id);
  state.retry = [];
  state.broken.clear();
  state.halted = false;
  state.queue.unshift(...retry);
  state.queuedBytes += retry.reduce((n, p) => n + p.record.value.byteLength, 0);
  state.partitions.clear();
  state.connected = false;
  void connect(state, ctx);
}

/**
 * Produces one partition's runs one after the other. Records that cannot be produced for good are failed; after a
 * retriable error (here or in an earlier run of the partition) the run and those after it are retried, unsent, so
 * that order is kept.
 */
async function produceInOrder(state: State, ctx: Ctx, key: string, chunks: Pending[][]): Promise<void> {
  for (let i = 0; i < chunks.length; i++) {
    if (state.broken.has(key)) {
      state.retry.push(...chunks.slice(i).flat());
      return;
    }
    let error: unknown;
    try {
      await produce(state, ctx, chunks[i]);
      continue;
    } catch (e) {
      error = e;
    }
    if (failureKind(error) === "poison") {
      try {
        await failApart(state, ctx, chunks[i], error);
        continue;
      } catch (e) {
        error = e;
      }
    }
    state.broken.add(key);
    state.halted = true;
    state.retry.push(...chunks.slice(i).flat());
    return;
  }
}

/** Gives every record a partition; records for topics or partitions that do not exist fail. Returns the others. */
async function choosePartitions(state: State, ctx: Ctx, batch: Pending[]): Promise<Pending[]> {
  const admin = await (state.admin ??= BrokerAdmin.connect(state.config.connection).catch((e) => {
    state.admin = null;
    throw e;
  }));
  const missing: Pending[] = [];
  for (const topic of new Set(batch.filter((p) => p.partition === undefined).map((p) => p.record.topic))) {
    if (state.partitions.has(topic)) continue;
    if (!(await admin.topicExists(topic))) {
      missing.push(...batch.filter((p) => p.record.topic === topic));
      continue;
    }
    state.partitions.set(topic, (await admin.partitions(topic)).length);
    if (!state.limits.has(topic)) {
      state.limits.set(topic, await admin.maxMessageBytes(topic).catch(() => KAFKA_DEFAULT_MAX_MESSAGE_BYTES));
    }
  }
  if (missing.length > 0) {
    state.stats.failed += missing.length;
    const why = `Cannot produce to topic ${missing[0].record.topic}: it does not exist`;
    ctx.port("records").post({ type: "failed", ids: missing.map((p) => p.id), error: why });
  }
  // a partition the topic does not have (read again: partitions may have been added) fails; the client would send
  // the record to another one (partition modulo count) and the sender would be told the wrong partition
  for (const p of batch.filter((p) => p.partition === undefined && !missing.includes(p))) {
    const { topic, partition } = p.record;
    if (partition === undefined || partition < state.partitions.get(topic)!) continue;
    const count = (await admin.partitions(topic)).length;
    state.partitions.set(topic, count);
    if (partition < count) continue;
    missing.push(p);
    state.stats.failed++;
    const why = `Cannot produce to partition ${partition} of topic ${topic}: it has ${count} partition(s)`;
    ctx.port("records").post({ type: "failed", ids: [p.id], error: why });
  }
  const ready = batch.filter((p) => !missing.includes(p));
  state.chooser.assign(ready, (topic) => state.partitions.get(topic)!);
  return ready;
}

/** Produces one partition's records in one request and acknowledges them. */
async function produce(state: State, ctx: Ctx, group: Pending[]): Promise<void> {
  state.stats.requests++;
  const result = await state.producer.send({
    acks: -1,
    compression: state.config.compression,
    messages: group.map(({ record: r, partition }) => ({
      topic: r.topic,
      key: r.key === undefined ? undefined : typeof r.key === "string" ? Buffer.from(r.key) : toBuffer(r.key),
      value: toBuffer(r.value),
      partition,
      timestamp: r.timestampMs === undefined ? undefined : BigInt(Math.trunc(r.timestampMs)),
      headers: r.headers ? toHeaders(r.headers) : undefined,
    })),
  });
  const base = result.offsets?.[0]?.offset;
  state.stats.acked += group.length;
  state.stats.bytesAcked += group.reduce((n, p) => n + p.record.value.byteLength, 0);
  ctx.port("records").post({ type: "acked", deliveries: deliveriesOf(group, base === undefined ? -1 : Number(base)) });
}

/** A partition's records failed for good: find which cannot be produced by sending them one at a time. */
async function failApart(state: State, ctx: Ctx, group: Pending[], error: unknown): Promise<void> {
  if (group.length === 1) {
    state.stats.failed++;
    const r = group[0].record;
    const why = `Cannot produce ${r.value.byteLength} bytes to ${r.topic}: ${causeOf(error)}`;
    ctx.port("records").post({ type: "failed", ids: [group[0].id], error: why });
    return;
  }
  for (const p of group) {
    try {
      await produce(state, ctx, [p]);
    } catch (e) {
      if (failureKind(e) !== "poison") throw e;
      await failApart(state, ctx, [p], e);
    }
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
