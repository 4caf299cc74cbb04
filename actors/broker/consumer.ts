/**
 * The Kafka consumer actor: reads partitions of topics and delivers record batches to a downstream actor over its
 * `batches` channel, each batch's keys and values packed into one transferred buffer. Speaks protocols/broker.ts.
 * Restart: permanent.
 *
 * - **Assign or subscribe.** `assign` reads the listed partitions (all when none are listed) alone, with no group
 *   membership, and commits to `groupId` (`nxflow.<actor path>` by default) as a group with no members. `subscribe`
 *   joins `groupId` as an ordinary member and reads the partitions the group gives it; with `groupInstanceId` it is
 *   a static member, so that a restarted actor gets its partitions back at once instead of after `sessionTimeoutMs`.
 * - **Where it starts.** A new incarnation says `hello` and waits for the downstream's `continueFrom` with the
 *   positions it confirmed; those partitions continue there. Other partitions start at `start`: the beginning, the
 *   end, the first record at or after a timestamp (the file writer seeks to start time − leeway), or the group's
 *   committed offsets.
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
 * This module is the actor (delivery, confirmations, commits); connecting and positioning the partitions is in
 * `consumer_start.ts`, the configuration and state in `consumer_state.ts`.
 *
 * @module
 */
import { Consumer } from "@platformatic/kafka";
import type { ConsumerLink, ConsumerProtocol, Position } from "../../protocols/broker.ts";
import { defineActor } from "../runtime/actor.ts";
import { clientOptions } from "./connection.ts";
import { packBatch } from "./consume_batch.ts";
import {
  type ConsumerConfig,
  type ConsumerCtx as Ctx,
  type ConsumerState as State,
  freshPartition,
  notifyEnd,
  partitionKey as key,
} from "./consumer_state.ts";
import { adminOf, startReading } from "./consumer_start.ts";
import { type FetchedBatch, PartitionFetcher } from "./fetcher.ts";

export type { ConsumerConfig };

/** The consumer actor; see the module doc. */
export default defineActor<ConsumerProtocol, ConsumerConfig, State>({
  init(config, ctx) {
    if (!Array.isArray(config.topics) || config.topics.length === 0) {
      throw new TypeError(`Cannot start consumer ${ctx.path}: topics must list at least one topic`);
    }
    const mode = config.mode ?? "assign";
    if (mode === "subscribe" && !config.groupId) {
      throw new TypeError(`Cannot start consumer ${ctx.path}: subscribe mode needs a groupId`);
    }
    const groupId = config.groupId ?? `nxflow.${ctx.path}`;
    const client = new Consumer({
      ...clientOptions(config.connection),
      groupId,
      groupInstanceId: mode === "subscribe" ? config.groupInstanceId : undefined,
      sessionTimeout: config.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.min(3000, Math.floor((config.sessionTimeoutMs ?? 10_000) / 3)),
      autocommit: false,
    });
    const state: State = {
      config,
      epoch: crypto.randomUUID(),
      client,
      fetcher: null as unknown as PartitionFetcher,
      groupId,
      admin: null,
      continueFrom: null,
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
    state.fetcher = new PartitionFetcher(client, {
      maxBytesPerPartition: config.maxBytesPerPartition ?? 10 * 1024 * 1024,
      onBatch: (batch) => deliver(state, ctx, batch),
      onError: (why, attempts) => ctx.emit({ type: "brokerStatus", connected: false, error: why, attempts }),
      onRecovered: () => ctx.emit({ type: "brokerStatus", connected: true, attempts: 0 }),
    });
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
    stats: (state) => ({
      ...state.stats,
      lag: [...state.partitions.values()].reduce((n, p) => n + p.lag, 0),
    }),
  },
  async terminate(state) {
    state.stopped = true;
    for (const w of state.wakeups.splice(0)) w();
    await state.fetcher.stop();
    await commit(state).catch(() => {});
    await state.client.close(true).catch(() => {});
    await (await state.admin?.catch(() => null))?.close().catch(() => {});
  },
});

function onPort(state: State, ctx: Ctx, m: ConsumerLink): void {
  switch (m.type) {
    case "attach":
      return reattach(state, ctx);
    case "continueFrom":
      if (state.continueFrom) return;
      state.continueFrom = new Map(m.positions.map((p) => [key(p.topic, p.partition), p.offset]));
      return void startReading(state, ctx);
    case "confirm":
      return confirm(state, m.position);
    case "pause":
      return setPaused(state, true);
    case "resume":
      return setPaused(state, false);
  }
}

/** Records posted in one `batch` message at most: a fetched record batch of 10^5 records goes in slices. */
const RECORDS_PER_POST = 10_000;

async function deliver(state: State, ctx: Ctx, batch: FetchedBatch): Promise<void> {
  const ps = state.partitions.get(key(batch.topic, batch.partition));
  if (!ps || state.stopped) return;
  ps.lag = Math.max(0, batch.highWatermark - batch.next);
  for (let at = 0; at < batch.records.length; at += RECORDS_PER_POST) {
    // between slices the thread is free (heartbeats, confirmations): one post of 10^5 records took seconds
    if (at > 0) await new Promise((r) => setTimeout(r));
    if (state.stopped || state.partitions.get(key(batch.topic, batch.partition)) !== ps) return;
    const { records, bytes } = packBatch(batch.records.slice(at, at + RECORDS_PER_POST));
    ctx.port("batches").post({
      type: "batch",
      epoch: state.epoch,
      topic: batch.topic,
      partition: batch.partition,
      records,
      highWatermark: batch.highWatermark,
    });
    state.stats.records += records.length;
    state.stats.bytes += bytes;
    state.stats.batches++;
    state.stats.unconfirmedBytes += bytes;
    ps.unconfirmed.push({ end: records[records.length - 1].offset + 1, bytes });
  }
  if (batch.next >= batch.highWatermark) notifyEnd(state, ctx, batch.topic, batch.partition, batch.next);
  const limit = state.config.maxUnconfirmedBytes ?? 256 * 1024 * 1024;
  while (state.stats.unconfirmedBytes > limit && !state.stopped) {
    await new Promise<void>((r) => {
      state.wakeups.push(r);
      setTimeout(r, 500);
    });
  }
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
    } else {
      await state.client.commit({
        offsets: positions.map((p) => ({ ...p, offset: BigInt(p.offset), leaderEpoch: -1 })),
      });
    }
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
  for (const u of ps.unconfirmed) state.stats.unconfirmedBytes -= u.bytes;
  // a new state object: a delivery still under way for the old position sees that it is stale
  state.partitions.set(key(p.topic, p.partition), freshPartition());
  state.fetcher.set(p.topic, p.partition, p.offset);
}

/**
 * A downstream attached. Before the first `continueFrom` this is the ordinary start, or a downstream that replaced one
 * that died before answering: the `hello` is said again (it may have gone to the dead one; a second `continueFrom` is
 * ignored). Later it is a replacement, and what its predecessor had not confirmed died with it: the consumer ends
 * normally, so that its supervisor starts a fresh one, which greets the new downstream and starts from `start`.
 */
function reattach(state: State, ctx: Ctx): void {
  if (state.continueFrom) ctx.exit("its downstream restarted: starting again from the configured start");
  else ctx.port("batches").post({ type: "hello", epoch: state.epoch });
}

function setPaused(state: State, paused: boolean): void {
  state.fetcher.paused = paused;
  state.stats.paused = paused;
}
