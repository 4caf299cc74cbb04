/**
 * Where the consumer actor reads: it connects to the cluster, takes its partitions (all listed ones in `assign`
 * mode, or those its group gives it in `subscribe` mode) and positions each one, at the downstream's confirmed
 * position, else at the configured `start`. Failures to reach the cluster or read a topic are reported as
 * `brokerStatus` notices and tried again with backoff, never a crash (a restart would find the same).
 *
 * @module
 */
import { BrokerAdmin } from "./admin.ts";
import { describeConnection } from "./connection.ts";
import {
  type ConsumerCtx as Ctx,
  type ConsumerState as State,
  freshPartition,
  notifyEnd,
  partitionKey as key,
} from "./consumer_state.ts";
import { causeOf } from "./errors.ts";

/** Waits before attempt `attempts + 1`: 0.5 s doubling up to 10 s. */
const backoff = (attempts: number) =>
  new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** Math.min(attempts, 6))));

/** Connects, takes and positions the partitions, then starts fetching; returns early if the actor stops first. */
export async function startReading(state: State, ctx: Ctx): Promise<void> {
  const admin = await connect(state, ctx);
  if (!admin) return;
  if ((state.config.mode ?? "assign") === "assign") {
    if (!(await assignAll(state, ctx, admin))) return;
  } else {
    state.client.on("consumer:group:join", (e) => void assigned(state, ctx, admin, e.assignments ?? []));
    await joinGroup(state, ctx);
  }
  state.fetcher.start();
}

/** The state's admin client, connected on first use (and again after a failure cleared it). */
export function adminOf(state: State): Promise<BrokerAdmin> {
  state.admin ??= BrokerAdmin.connect(state.config.connection);
  return state.admin;
}

/**
 * Positions every listed partition. A topic that does not exist (yet), or partitions that cannot be read, are
 * reported as a `brokerStatus` notice and tried again with backoff, never a crash (a restart would find the same);
 * false when the actor stopped first.
 */
async function assignAll(state: State, ctx: Ctx, admin: BrokerAdmin): Promise<boolean> {
  for (let attempts = 1; !state.stopped; attempts++) {
    try {
      for (const t of state.config.topics) {
        const all = (await admin.partitions(t.topic)).map((p) => p.partition);
        for (const p of t.partitions ? all.filter((x) => t.partitions!.includes(x)) : all) {
          await position(state, ctx, admin, t.topic, p);
        }
      }
      if (attempts > 1) ctx.emit({ type: "brokerStatus", connected: true, attempts: 0 });
      return true;
    } catch (error) {
      for (const k of [...state.partitions.keys()]) {
        const [topic, partition] = k.split("\u0000");
        if (!state.fetcher.has(topic, Number(partition))) state.partitions.delete(k); // positioned again next time
      }
      ctx.emit({ type: "brokerStatus", connected: false, error: causeOf(error), attempts });
      await backoff(attempts);
    }
  }
  return false;
}

/** Waits until the cluster answers (reporting each failure); null when the actor stopped first. */
async function connect(state: State, ctx: Ctx): Promise<BrokerAdmin | null> {
  for (let attempts = 1; !state.stopped; attempts++) {
    try {
      const admin = await adminOf(state);
      ctx.emit({ type: "brokerStatus", connected: true, attempts: 0 });
      return admin;
    } catch (error) {
      state.admin = null;
      const why = `Cannot connect to Kafka at ${describeConnection(state.config.connection)}: ${causeOf(error)}`;
      ctx.emit({ type: "brokerStatus", connected: false, error: why, attempts });
      await backoff(attempts);
    }
  }
  return null;
}

async function joinGroup(state: State, ctx: Ctx): Promise<void> {
  const c = state.config;
  for (let attempts = 1; !state.stopped; attempts++) {
    try {
      state.client.topics.trackAll(...c.topics.map((t) => t.topic));
      await state.client.joinGroup({});
      return;
    } catch (error) {
      ctx.emit({ type: "brokerStatus", connected: false, error: causeOf(error), attempts });
      await backoff(attempts);
    }
  }
}

/** The group gave this member its partitions: read the new ones, forget those it lost. */
async function assigned(
  state: State,
  ctx: Ctx,
  admin: BrokerAdmin,
  assignments: { topic: string; partitions: number[] }[],
): Promise<void> {
  const now = new Set(assignments.flatMap((a) => a.partitions.map((p) => key(a.topic, p))));
  for (const k of [...state.partitions.keys()]) {
    if (now.has(k)) continue;
    const [topic, partition] = k.split("\u0000");
    state.fetcher.remove(topic, Number(partition));
    for (const u of state.partitions.get(k)!.unconfirmed) state.stats.unconfirmedBytes -= u.bytes;
    state.partitions.delete(k);
  }
  for (const a of assignments) {
    // a partition that cannot be positioned (Kafka did not answer) would never be read: the rejection crashes the
    // actor, and the restarted one joins again (static membership gives it the same partitions at once)
    for (const p of a.partitions) await position(state, ctx, admin, a.topic, p);
  }
}

/** Sets where a newly assigned partition starts: the downstream's position, else `start`. */
async function position(state: State, ctx: Ctx, admin: BrokerAdmin, topic: string, partition: number) {
  const k = key(topic, partition);
  if (state.partitions.has(k)) return;
  state.partitions.set(k, freshPartition());
  const offsets = (await admin.listOffsets(topic)).find((o) => o.partition === partition)!;
  const offset = await startOffset(state, admin, topic, partition, offsets);
  state.fetcher.set(topic, partition, offset);
  if (offset >= offsets.high) notifyEnd(state, ctx, topic, partition, offsets.high);
}

async function startOffset(
  state: State,
  admin: BrokerAdmin,
  topic: string,
  partition: number,
  offsets: { low: number; high: number },
): Promise<number> {
  const confirmed = state.continueFrom?.get(key(topic, partition));
  if (confirmed !== undefined) return confirmed;
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
