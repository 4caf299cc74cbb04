/**
 * The Kafka consumer actor: reads partitions of topics and delivers record batches to a downstream actor over its
 * `batches` channel, each batch's keys and values packed into one transferred buffer. Speaks protocols/broker.ts.
 * Restart: permanent.
 *
 * - **Assign or subscribe.** `assign` reads the listed partitions (all when none are listed) with no sharing: each
 *   incarnation joins a group of its own with an assigner that gives it everything, and commits to `groupId`
 *   (`nxflow.<actor path>` by default), which has no members (see `group_offsets.ts`). `subscribe` joins `groupId` as an ordinary member and
 *   gets the partitions the group gives it; after a crash the group waits `sessionTimeoutMs` for the dead member.
 * - **Where it starts.** A new incarnation says `hello` and waits for the downstream's `resume` with the positions it
 *   confirmed; those partitions continue there. Other partitions start at `start`: the beginning, the end, the first
 *   record at or after a timestamp (the file writer seeks to start time − leeway), or the group's committed offsets.
 * - **Confirm and commit.** The downstream confirms positions when it is done with records; confirmed positions are
 *   committed to Kafka (explicitly, at most once per `commitIntervalMs`), and unconfirmed bytes are bounded by
 *   `maxUnconfirmedBytes` (fetching waits: back-pressure). `pause`/`resume` stop and restart fetching on request.
 * - **Guarantee.** At-least-once from the last confirmed position across a crash of the consumer: records delivered
 *   but not yet confirmed are delivered again (the downstream may see them twice, recognisable by their offsets).
 * - **A restarted downstream** (its `ConsumerInbox` says `attach`) makes a running consumer end normally and start
 *   afresh, so the new downstream is greeted; since the confirmed positions died with the old downstream, reading
 *   continues from `start`: with `start: "committed"` from the last commit (at-least-once; commits come at most
 *   `commitIntervalMs` apart), with `"end"` past what the old downstream had not confirmed.
 *
 * @module
 */
import type { Consumer, EachBatchPayload } from "kafkajs";
import type { ConsumerLink, ConsumerProtocol, Position, StartAt } from "../../protocols/broker.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { type ActorContext, defineActor } from "../runtime/actor.ts";
import { BrokerAdmin, causeOf } from "./admin.ts";
import { fixedAssigner, packBatch } from "./consume_batch.ts";
import { createKafka, describeConnection } from "./connection.ts";

/** Configuration of the consumer actor. */
export interface ConsumerConfig {
  connection: ConnectionOptions;
  /** topics to read; `partitions` (assign mode only) limits which. */
  topics: { topic: string; partitions?: number[] }[];
  /** @default "assign" */
  mode?: "assign" | "subscribe";
  /** the consumer group; required with `subscribe`. @default `nxflow.<actor path>` with `assign` */
  groupId?: string;
  /** @default "committed" */
  start?: StartAt;
  /** bytes per partition per fetch (a larger record still comes whole). @default 10485760 */
  maxBytesPerPartition?: number;
  /** delivered and not yet confirmed bytes above which fetching waits. @default 268435456 */
  maxUnconfirmedBytes?: number;
  /** @default 1000 */
  commitIntervalMs?: number;
  /** consumer group session timeout (subscribe mode: how long a crashed member holds its partitions). @default 10000 */
  sessionTimeoutMs?: number;
}

type Ctx = ActorContext<ConsumerProtocol>;

interface PartitionState {
  /** records below this offset are not delivered (the position the actor started or was sought at). */
  from: number;
  /** resolves when the start position of this partition was set. */
  positioned: Promise<void>;
  /** delivered batches not yet confirmed: end offset (exclusive) and bytes. */
  unconfirmed: { end: number; bytes: number }[];
  endNoticeAt: number;
}

interface State {
  config: ConsumerConfig;
  epoch: string;
  consumer: Consumer;
  /** the group offsets are committed to. */
  groupId: string;
  admin: Promise<BrokerAdmin> | null;
  resumeFrom: Map<string, number> | null;
  partitions: Map<string, PartitionState>;
  confirmed: Map<string, Position>;
  commitTimer: ReturnType<typeof setTimeout> | undefined;
  /** a commit is under way (kafkajs commits to an empty group by joining it briefly: never two at once). */
  committing: boolean;
  wakeups: (() => void)[];
  stopped: boolean;
  stats: {
    records: number;
    bytes: number;
    batches: number;
    confirmed: number;
    commits: number;
    commitFailures: number;
    unconfirmedBytes: number;
    paused: boolean;
    rejected: number;
  };
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export default defineActor<ConsumerProtocol, ConsumerConfig, State>({
  init(config, ctx) {
    if (!Array.isArray(config.topics) || config.topics.length === 0) {
      throw new TypeError(`Cannot start consumer ${ctx.path}: topics must list at least one topic`);
    }
    const mode = config.mode ?? "assign";
    if (mode === "subscribe" && !config.groupId) {
      throw new TypeError(`Cannot start consumer ${ctx.path}: subscribe mode needs a groupId`);
    }
    const kafka = createKafka(config.connection);
    const wanted = new Map(config.topics.map((t) => [t.topic, t.partitions ?? null]));
    const groupId = config.groupId ?? `nxflow.${ctx.path}`;
    const epoch = crypto.randomUUID();
    const consumer = kafka.consumer({
      groupId: mode === "assign" ? `${groupId}.${epoch}` : groupId,
      sessionTimeout: config.sessionTimeoutMs ?? 10_000,
      partitionAssigners: mode === "assign" ? [fixedAssigner(wanted)] : undefined,
      maxBytesPerPartition: config.maxBytesPerPartition ?? 10 * 1024 * 1024,
      maxBytes: 256 * 1024 * 1024,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    const state: State = {
      config,
      epoch,
      consumer,
      groupId,
      admin: null,
      resumeFrom: null,
      partitions: new Map(),
      confirmed: new Map(),
      commitTimer: undefined,
      committing: false,
      wakeups: [],
      stopped: false,
      stats: {
        records: 0,
        bytes: 0,
        batches: 0,
        confirmed: 0,
        commits: 0,
        commitFailures: 0,
        unconfirmedBytes: 0,
        paused: false,
        rejected: 0,
      },
    };
    const port = ctx.port("batches");
    port.onMessage((m) => onPort(state, ctx, m));
    port.post({ type: "hello", epoch: state.epoch });
    return state;
  },
  handle(state, msg) {
    switch (msg.type) {
      case "seek":
        return seek(state, msg.position);
      case "pause":
        return setPaused(state, true);
      case "resume":
        return setPaused(state, false);
    }
  },
  requests: {
    stats: (state) => ({ ...state.stats }),
  },
  async terminate(state) {
    state.stopped = true;
    await commit(state).catch(() => {});
    await state.consumer.disconnect().catch(() => {});
    await (await state.admin?.catch(() => null))?.close().catch(() => {});
  },
});

function onPort(state: State, ctx: Ctx, m: ConsumerLink): void {
  switch (m.type) {
    case "attach":
      return reattach(state, ctx);
    case "resume":
      if (state.resumeFrom) return;
      state.resumeFrom = new Map(m.positions.map((p) => [key(p.topic, p.partition), p.offset]));
      return void run(state, ctx);
    case "confirm":
      return confirm(state, m.position);
    case "pause":
      return setPaused(state, true);
    case "resumeFetch":
      return setPaused(state, false);
  }
}

async function run(state: State, ctx: Ctx): Promise<void> {
  const c = state.consumer;
  c.on(c.events.GROUP_JOIN, (e) => {
    for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
      for (const p of partitions) position(state, ctx, topic, p);
    }
  });
  c.on(c.events.CRASH, (e) => {
    if (!e.payload.restart && !state.stopped) {
      ctx.emit({ type: "brokerStatus", connected: false, error: causeOf(e.payload.error), attempts: 1 });
      setTimeout(() => {
        throw new Error(`Consumer ${ctx.path} stopped for good: ${causeOf(e.payload.error)}`);
      });
    }
  });
  for (let attempts = 1; !state.stopped; attempts++) {
    try {
      await c.connect();
      break;
    } catch (error) {
      const why = `Cannot connect to Kafka at ${describeConnection(state.config.connection)}: ${causeOf(error)}`;
      ctx.emit({ type: "brokerStatus", connected: false, error: why, attempts });
      await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** Math.min(attempts, 6))));
    }
  }
  ctx.emit({ type: "brokerStatus", connected: true, attempts: 0 });
  const start = state.config.start ?? "committed";
  await c.subscribe({ topics: state.config.topics.map((t) => t.topic), fromBeginning: start !== "end" });
  await c.run({ autoCommit: false, eachBatch: (payload) => deliver(state, ctx, payload) });
}

/** Sets where a newly assigned partition starts: the downstream's position, else `start`. */
function position(state: State, ctx: Ctx, topic: string, partition: number): void {
  const k = key(topic, partition);
  if (state.partitions.has(k)) return;
  const ps: PartitionState = { from: 0, positioned: Promise.resolve(), unconfirmed: [], endNoticeAt: -1 };
  state.partitions.set(k, ps);
  ps.positioned = (async () => {
    const admin = await adminOf(state);
    const offsets = (await admin.listOffsets(topic)).find((o) => o.partition === partition)!;
    const offset = await startOffset(state, admin, topic, partition, offsets);
    ps.from = offset;
    state.consumer.seek({ topic, partition, offset: String(offset) });
    if (offset >= offsets.high) notifyEnd(state, ctx, topic, partition, offsets.high);
  })();
}

async function startOffset(
  state: State,
  admin: BrokerAdmin,
  topic: string,
  partition: number,
  offsets: { low: number; high: number },
): Promise<number> {
  const resumed = state.resumeFrom?.get(key(topic, partition));
  if (resumed !== undefined) return resumed;
  const start = state.config.start ?? "committed";
  if (start === "beginning") return offsets.low;
  if (start === "end") return offsets.high;
  if (typeof start === "object") {
    const found = (await admin.offsetsForTime(topic, start.timestampMs)).find((o) => o.partition === partition);
    return found && found.offset >= 0 ? found.offset : offsets.high;
  }
  const committed = (await admin.committedOffsets(state.groupId, topic)).find((o) => o.partition === partition);
  return committed && committed.offset >= offsets.low ? committed.offset : offsets.low;
}

function adminOf(state: State): Promise<BrokerAdmin> {
  state.admin ??= BrokerAdmin.connect(state.config.connection);
  return state.admin;
}

async function deliver(state: State, ctx: Ctx, payload: EachBatchPayload): Promise<void> {
  const { batch } = payload;
  const ps = state.partitions.get(key(batch.topic, batch.partition));
  if (ps) await ps.positioned;
  if (payload.isStale() || !payload.isRunning()) return;
  const from = ps?.from ?? 0;
  const messages = batch.messages.filter((m) => Number(m.offset) >= from);
  if (messages.length === 0) return;
  const { records, bytes } = packBatch(messages);
  const end = records[records.length - 1].offset + 1;
  const highWatermark = Number(batch.highWatermark);
  ctx.port("batches").post({
    type: "batch",
    epoch: state.epoch,
    topic: batch.topic,
    partition: batch.partition,
    records,
    highWatermark,
  });
  state.stats.records += records.length;
  state.stats.bytes += bytes;
  state.stats.batches++;
  state.stats.unconfirmedBytes += bytes;
  ps?.unconfirmed.push({ end, bytes });
  payload.resolveOffset(String(end - 1));
  if (end >= highWatermark) notifyEnd(state, ctx, batch.topic, batch.partition, end);
  const limit = state.config.maxUnconfirmedBytes ?? 256 * 1024 * 1024;
  while (state.stats.unconfirmedBytes > limit && payload.isRunning() && !payload.isStale() && !state.stopped) {
    await payload.heartbeat();
    await new Promise<void>((r) => {
      state.wakeups.push(r);
      setTimeout(r, 500);
    });
  }
}

function notifyEnd(state: State, ctx: Ctx, topic: string, partition: number, offset: number): void {
  const ps = state.partitions.get(key(topic, partition));
  if (!ps || ps.endNoticeAt === offset) return;
  ps.endNoticeAt = offset;
  ctx.port("batches").post({ type: "endOfPartition", topic, partition, offset });
}

function confirm(state: State, p: Position): void {
  const ps = p && state.partitions.get(key(p.topic, p.partition));
  if (!ps || !Number.isInteger(p.offset) || p.offset < 0) {
    state.stats.rejected++;
    return;
  }
  state.stats.confirmed++;
  state.confirmed.set(key(p.topic, p.partition), { topic: p.topic, partition: p.partition, offset: p.offset });
  while (ps.unconfirmed.length > 0 && ps.unconfirmed[0].end <= p.offset) {
    state.stats.unconfirmedBytes -= ps.unconfirmed.shift()!.bytes;
  }
  for (const w of state.wakeups.splice(0)) w();
  state.commitTimer ??= setTimeout(() => {
    state.commitTimer = undefined;
    void commit(state);
  }, state.config.commitIntervalMs ?? 1000);
}

/**
 * Commits the confirmed positions. A failed commit is counted and its positions are kept for the next attempt (a
 * newer confirmation of the same partition wins): commits only matter after a process restart, so they must never
 * crash the consumer.
 */
async function commit(state: State): Promise<void> {
  if (state.confirmed.size === 0 || state.committing) return;
  const positions = [...state.confirmed.values()];
  state.confirmed.clear();
  state.committing = true;
  try {
    if ((state.config.mode ?? "assign") === "assign") {
      await (await adminOf(state)).commitOffsets(state.groupId, positions);
    } else await state.consumer.commitOffsets(positions.map((p) => ({ ...p, offset: String(p.offset) })));
    state.stats.commits++;
  } catch {
    state.stats.commitFailures++;
    for (const p of positions) {
      const k = key(p.topic, p.partition);
      if (!state.confirmed.has(k)) state.confirmed.set(k, p);
    }
  } finally {
    state.committing = false;
  }
}

function seek(state: State, p: Position): void {
  const ps = state.partitions.get(key(p.topic, p.partition));
  if (!ps || !Number.isInteger(p.offset) || p.offset < 0) {
    state.stats.rejected++;
    return;
  }
  ps.from = p.offset;
  for (const u of ps.unconfirmed.splice(0)) state.stats.unconfirmedBytes -= u.bytes;
  state.consumer.seek({ topic: p.topic, partition: p.partition, offset: String(p.offset) });
}

/**
 * A downstream attached. Before the first `resume` this is the ordinary start, or a downstream that replaced one that
 * died before answering: the `hello` is said again (it may have gone to the dead one; a second `resume` is ignored).
 * Later it is a replacement, and what its predecessor had not confirmed died with it. Rewinding a running kafkajs consumer
 * with repeated `seek`s stalled its fetching in our tests, so the consumer ends normally instead: its supervisor
 * starts a fresh one, which greets the new downstream and starts from the downstream's positions (none) or `start`.
 */
function reattach(state: State, ctx: Ctx): void {
  if (state.resumeFrom) ctx.exit("its downstream restarted: starting again from the configured start");
  else ctx.port("batches").post({ type: "hello", epoch: state.epoch });
}

function setPaused(state: State, paused: boolean): void {
  const topics = state.config.topics.map((t) => ({ topic: t.topic }));
  if (paused) state.consumer.pause(topics);
  else state.consumer.resume(topics);
  state.stats.paused = paused;
}
