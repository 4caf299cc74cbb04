/**
 * The forwarder's config actor: keeps the set of streams. One consumer actor (channel `batches`) reads the storage
 * topic's partition 0 and the config topic from the beginning. The set starts from the last fc00 on the storage
 * topic (junk skipped and counted) plus the streams of the configuration file; then each fc00 on the config topic
 * produced since the forwarder started (`since`, the same for every incarnation) is applied in order, anything else
 * counted and ignored. Older commands are counted as `beforeStart` and not applied: their effect is in the stored set
 * (ESS's forwarder reads the config topic from its end). An incarnation that follows a crash therefore also applies
 * what was sent while it was down; commands the stored set already holds are applied again quietly (in order, the
 * result is the same) without counting or logging them twice. After every change it sends the whole set to the
 * serialiser (channel `streams`, which persists it and sends status) and each
 * monitor group its share of the PVs (channels `assign_<i>`, PVs spread by a hash of the name), each with its
 * protocol (CA or PVA).
 * Speaks protocols/forwarder.ts. Restart: permanent.
 *
 * @module
 */
import type { AssignLink, ConfigProtocol, ConfigStats, Stream, StreamsLink } from "../../protocols/forwarder.ts";
import { ConsumerInbox, type InboxBatch } from "../broker/inbox.ts";
import { type ActorContext, defineActor, type Port } from "../runtime/actor.ts";
import { applyChange, type ConfigChange, decodeChange } from "./streams.ts";

/** Configuration of the config actor. */
export interface ConfigActorConfig {
  /** number of monitor groups. */
  groups: number;
  /** streams of the configuration file (checked at start-up). */
  initial: Stream[];
  /** the storage topic to restore from; the file's streams alone are the start when absent. */
  storageTopic?: string;
  /** when the forwarder started (ms since the epoch): config topic messages from then on are applied. */
  since: number;
}

interface State {
  config: ConfigActorConfig;
  streams: Stream[];
  stats: ConfigStats;
  /** the last good fc00 seen on the storage topic while restoring, and its Kafka timestamp. */
  stored: ConfigChange | null;
  storedAt: number;
  /** config changes that arrived before the storage topic was read, with their Kafka timestamps. */
  waiting: { change: ConfigChange; timestampMs: number }[];
  out: Port<StreamsLink>;
  groups: Port<AssignLink>[];
}

type Ctx = ActorContext<ConfigProtocol>;

/** The monitor group of a PV: FNV-1a of its name. */
export function groupOf(pv: string, groups: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < pv.length; i++) h = Math.imul(h ^ pv.charCodeAt(i), 0x01000193);
  return (h >>> 0) % groups;
}

function assignment(state: State, group: number): AssignLink & { type: "assign" } {
  const protocol = new Map(state.streams.map((s) => [s.channel, s.protocol]));
  const mine = [...protocol.keys()].filter((pv) => groupOf(pv, state.config.groups) === group);
  return {
    type: "assign",
    pvs: mine.filter((pv) => protocol.get(pv) === "CA"),
    pva: mine.filter((pv) => protocol.get(pv) === "PVA"),
  };
}

function publish(state: State, changed: boolean): void {
  state.stats.streams = state.streams.length;
  state.out.post({ type: "streams", streams: state.streams, changed });
  state.groups.forEach((port, i) => port.post(assignment(state, i)));
}

/** Applies one change; `quiet` for a change the stored set already holds (neither counted nor logged again). */
function apply(state: State, change: ConfigChange, ctx: Ctx, origin: string, quiet = false): void {
  const result = applyChange(state.streams, change);
  if (!quiet) {
    for (const reason of result.skipped) ctx.emit({ type: "log", level: "warn", message: `${origin}: ${reason}` });
    state.stats.rejectedStreams += result.skipped.length;
    state.stats.applied++;
  }
  if (!result.changed) return;
  state.streams = result.streams;
  if (!quiet) {
    ctx.emit({ type: "log", level: "info", message: `${origin}: ${change.change}, ${state.streams.length} streams` });
  }
  publish(state, true);
}

function onBatch(state: State, batch: InboxBatch, ctx: Ctx): void {
  if (batch.topic === state.config.storageTopic) return onStorage(state, batch);
  for (const record of batch.records) {
    if (record.timestampMs < state.config.since) {
      state.stats.beforeStart++;
      continue;
    }
    let change: ConfigChange;
    try {
      change = decodeChange(record.value);
    } catch (error) {
      if (record.timestampMs <= state.storedAt) continue; // counted by the incarnation that saw it first
      state.stats.rejectedMessages++;
      ctx.emit({ type: "log", level: "warn", message: `config topic offset ${record.offset} ignored: ${error}` });
      continue;
    }
    if (state.stats.restored) apply(state, change, ctx, "config topic", record.timestampMs <= state.storedAt);
    else state.waiting.push({ change, timestampMs: record.timestampMs });
  }
}

function onStorage(state: State, batch: InboxBatch): void {
  if (state.stats.restored) return; // later records are this forwarder's own writes
  for (const record of batch.records) {
    try {
      state.stored = decodeChange(record.value);
      state.storedAt = record.timestampMs;
    } catch {
      state.stats.storageJunk++;
    }
  }
}

function restored(state: State, ctx: Ctx): void {
  if (state.stats.restored) return;
  state.stats.restored = true;
  if (state.stored) {
    const r = applyChange([], state.stored);
    state.streams = r.streams;
    ctx.emit({ type: "log", level: "info", message: `restored ${r.streams.length} streams from the storage topic` });
  }
  const file = applyChange(state.streams, { change: "ADD", streams: state.config.initial });
  state.streams = file.streams;
  publish(state, state.streams.length > 0);
  for (const { change, timestampMs } of state.waiting.splice(0)) {
    apply(state, change, ctx, "config topic", timestampMs <= state.storedAt);
  }
}

export default defineActor<ConfigProtocol, ConfigActorConfig, State>({
  init(config, ctx) {
    const state: State = {
      config,
      streams: [],
      stats: {
        streams: 0,
        applied: 0,
        rejectedMessages: 0,
        rejectedStreams: 0,
        storageJunk: 0,
        beforeStart: 0,
        restored: false,
      },
      stored: null,
      storedAt: -Infinity,
      waiting: [],
      out: ctx.port("streams"),
      groups: Array.from({ length: config.groups }, (_, i) => ctx.port(`assign_${i}`)),
    };
    state.out.onMessage((m) => {
      if (m.type === "hello" && state.stats.restored) {
        state.out.post({ type: "streams", streams: state.streams, changed: false });
      }
    });
    state.groups.forEach((port, i) =>
      port.onMessage((m) => {
        if (m.type === "hello" && state.stats.restored) port.post(assignment(state, i));
      })
    );
    new ConsumerInbox(ctx.port("batches"), {
      onBatch: (b) => onBatch(state, b, ctx),
      onEndOfPartition: (topic) => topic === config.storageTopic && restored(state, ctx),
    });
    if (!config.storageTopic) restored(state, ctx);
    return state;
  },
  requests: {
    stats: (state) => ({ ...state.stats, list: state.streams }),
  },
});
