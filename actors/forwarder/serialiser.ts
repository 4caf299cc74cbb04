/**
 * The forwarder's serialiser: turns the monitor groups' PV events (channels `pvs_<i>`) into ESS messages and hands
 * them to the Kafka producer actor (channel `records`, through an outbox that survives producer restarts). Speaks
 * protocols/forwarder.ts. Restart: permanent.
 *
 * For each PV, for every stream configured on it (from the config actor, channel `streams`), all on the stream's
 * topic, keyed by the PV name:
 * - each monitor update as **f144**, **f142** or **tdct**, and a PVA NTTable as **se00** or **senv** (streams
 *   `nttable_se00`/`nttable_senv`) (Kafka timestamp = EPICS time in ms), after the timestamp
 *   sanity filter (drops updates older than the previous one, older than a year or over 10 minutes ahead; counted);
 * - **al00** when the (severity, status) pair (CA) or the (severity, message) pair (PVA, with `alarm.message`)
 *   changes (not for f142-only topics: f142 carries the alarm);
 * - updates a group could not read (an unsupported PVA type, a CA update the server marked failed) are counted as
 *   processing errors, logged once per PV;
 * - **ep01** on every connection change; a monitor group that restarts says `hello`, and its PVs are reported
 *   DISCONNECTED until they connect again;
 * - **periodic re-sends** of the last messages of streams marked periodic, every `periodMs`, Kafka timestamp = now.
 *
 * Each batch of events is answered with `processed` once the producer's outbox has room (back-pressure for the
 * groups' pvAccess monitors).
 *
 * It also publishes **x5f2** status every `statusIntervalMs` and after each config change, and the whole stream set
 * to the storage topic after each change.
 *
 * @module
 */
import { hostname } from "node:os";
import type {
  CaUpdate,
  PvaUpdate,
  PvLink,
  SerialiserProtocol,
  SerialiserStats,
  Stream,
} from "../../protocols/forwarder.ts";
import { x5f2 } from "../../schemas/mod.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { type ActorContext, defineActor } from "../runtime/actor.ts";
import {
  encodeAl00,
  encodeEp01,
  encodeF142,
  encodeF144,
  encodeStorage,
  encodeTdct,
  statusJson,
  UnsupportedValueError,
} from "./encode.ts";
import { encodeAl00Pva, encodeF142Pva, encodeF144Pva, encodeTablePva, encodeTdctPva } from "./encode_pva.ts";

/** Configuration of the serialiser. */
export interface SerialiserConfig {
  /** number of monitor groups (channels `pvs_0` ... ). */
  groups: number;
  serviceId: string;
  statusTopic: string;
  /** where the stream set is persisted; none when absent. */
  storageTopic?: string;
  /** the global period of re-sends for periodic streams; none when absent. */
  periodMs?: number;
  /** @default 4000 */
  statusIntervalMs?: number;
  version: string;
}

const YEAR_NS = 365n * 24n * 3600n * 1_000_000_000n;
const TEN_MINUTES_NS = 600n * 1_000_000_000n;

interface PvState {
  group: number;
  connected: boolean;
  /** EPICS time of the last accepted update. */
  lastNs: bigint;
  alarm: string | null;
  tdctSequence: number;
  /** se00/senv message counter. */
  tableCounter: number;
  /** log a schema problem once per PV. */
  warned: boolean;
}

/** A message kept for periodic re-sends, per topic and kind. */
interface Cached {
  topic: string;
  pv: string;
  value: Uint8Array;
}

interface State {
  config:
    & Required<Omit<SerialiserConfig, "storageTopic" | "periodMs">>
    & Pick<SerialiserConfig, "storageTopic" | "periodMs">;
  outbox: ProducerOutbox;
  streams: Stream[];
  byPv: Map<string, Stream[]>;
  pvs: Map<string, PvState>;
  /** last messages by `topic\0pv\0kind`. */
  cache: Map<string, Cached>;
  sentAt: Map<number, number>;
  latencySumMs: number;
  latencyCount: number;
  stats: Omit<SerialiserStats, "pvsSubscribed" | "pvsConnected" | "sendLatencyMs">;
}

type Ctx = ActorContext<SerialiserProtocol>;

function send(state: State, topic: string, pv: string, kind: string, value: Uint8Array, timeNs: bigint): void {
  const id = state.outbox.send({ topic, key: pv, value, timestampMs: Number(timeNs / 1_000_000n) });
  state.sentAt.set(id, performance.now());
  state.cache.set(`${topic}\0${pv}\0${kind}`, { topic, pv, value });
  state.stats.forwarded++;
}

function pvState(state: State, pv: string, group: number): PvState {
  let s = state.pvs.get(pv);
  if (!s) {
    s = { group, connected: false, lastNs: 0n, alarm: null, tdctSequence: 0, tableCounter: 0, warned: false };
    state.pvs.set(pv, s);
  }
  s.group = group;
  return s;
}

function topicsOf(streams: Stream[], except?: Stream["schema"]): string[] {
  return [...new Set(streams.filter((s) => !except || s.schema !== except).map((s) => s.topic))];
}

function onConnection(state: State, pv: string, connected: boolean, timeMs: number): void {
  const s = state.pvs.get(pv);
  if (!s || s.connected === connected) return;
  s.connected = connected;
  const streams = state.byPv.get(pv) ?? [];
  const bytes = encodeEp01(pv, timeMs, connected, state.config.serviceId);
  for (const topic of topicsOf(streams)) send(state, topic, pv, "ep01", bytes, BigInt(timeMs) * 1_000_000n);
}

function passesFilter(state: State, s: PvState, u: CaUpdate | PvaUpdate, pv: string, ctx: Ctx): boolean {
  const now = BigInt(Date.now()) * 1_000_000n;
  const why = u.timestampNs < s.lastNs
    ? "older than the previous update"
    : u.timestampNs < now - YEAR_NS
    ? "more than a year old"
    : u.timestampNs > now + TEN_MINUTES_NS
    ? "more than 10 minutes in the future"
    : null;
  if (!why) return true;
  state.stats.droppedTimestamps++;
  ctx.emit({ type: "log", level: "warn", message: `update of ${pv} dropped: EPICS timestamp ${why}` });
  return false;
}

function dataMessage(pv: string, stream: Stream, u: CaUpdate | PvaUpdate, s: PvState): Uint8Array | null {
  if ("protocol" in u) return pvaMessage(pv, stream, u, s);
  switch (stream.schema) {
    case "f144":
      return encodeF144(pv, u);
    case "f142":
      return encodeF142(pv, u);
    case "tdct":
      return encodeTdct(pv, u, s.tdctSequence++);
    default:
      return null;
  }
}

function pvaMessage(pv: string, stream: Stream, u: PvaUpdate, s: PvState): Uint8Array | null {
  switch (stream.schema) {
    case "f144":
      return encodeF144Pva(pv, u);
    case "f142":
      return encodeF142Pva(pv, u);
    case "tdct":
      return encodeTdctPva(pv, u, s.tdctSequence++);
    case "nttable_se00":
      return encodeTablePva(pv, u, "se00", s.tableCounter++);
    case "nttable_senv":
      return encodeTablePva(pv, u, "senv", s.tableCounter++);
    default:
      return null;
  }
}

function processingError(state: State, s: PvState, message: string, ctx: Ctx): void {
  state.stats.processingErrors++;
  if (!s.warned) ctx.emit({ type: "log", level: "warn", message });
  s.warned = true;
}

function onUpdate(state: State, pv: string, u: CaUpdate | PvaUpdate, ctx: Ctx): void {
  const s = state.pvs.get(pv);
  const streams = state.byPv.get(pv);
  if (!s || !streams) return;
  if (!passesFilter(state, s, u, pv, ctx)) return;
  s.lastNs = u.timestampNs;
  for (const stream of streams) {
    try {
      const bytes = dataMessage(pv, stream, u, s);
      if (bytes) send(state, stream.topic, pv, stream.schema, bytes, u.timestampNs);
    } catch (error) {
      if (!(error instanceof UnsupportedValueError)) throw error;
      processingError(state, s, error.message, ctx);
    }
  }
  const alarm = "protocol" in u ? `${u.severity}|${u.message}` : `${u.severity}|${u.status}`;
  if (alarm === s.alarm) return;
  s.alarm = alarm;
  const bytes = "protocol" in u ? encodeAl00Pva(pv, u) : encodeAl00(pv, u.timestampNs, u.severity, u.status);
  for (const topic of topicsOf(streams, "f142")) send(state, topic, pv, "al00", bytes, u.timestampNs);
}

function onPv(state: State, group: number, m: PvLink, ctx: Ctx): void {
  if (m.type === "processed") return;
  if (m.type === "hello") {
    for (const [pv, s] of state.pvs) if (s.group === group) onConnection(state, pv, false, Date.now());
    return;
  }
  for (const e of m.events) {
    pvState(state, e.pv, group);
    if (e.type === "connection") onConnection(state, e.pv, e.connected, e.timeMs);
    else if (e.type === "update") onUpdate(state, e.pv, e.update, ctx);
    else if (state.byPv.has(e.pv)) processingError(state, state.pvs.get(e.pv)!, e.message, ctx);
  }
}

function setStreams(state: State, streams: Stream[], changed: boolean): void {
  state.streams = streams;
  state.byPv = new Map();
  for (const s of streams) state.byPv.set(s.channel, [...(state.byPv.get(s.channel) ?? []), s]);
  const topics = new Set(streams.map((s) => `${s.topic}\0${s.channel}`));
  for (const [key, c] of state.cache) if (!topics.has(`${c.topic}\0${c.pv}`)) state.cache.delete(key);
  if (!changed) return;
  const now = BigInt(Date.now()) * 1_000_000n;
  if (state.config.storageTopic) {
    state.outbox.send({
      topic: state.config.storageTopic,
      partition: 0,
      value: encodeStorage(streams),
      timestampMs: Number(now / 1_000_000n),
    });
  }
  sendStatus(state);
}

function resendPeriodic(state: State): void {
  const periodic = new Set(state.streams.filter((s) => s.periodic !== 0).map((s) => `${s.topic}\0${s.channel}`));
  const now = Date.now();
  for (const c of state.cache.values()) {
    if (!periodic.has(`${c.topic}\0${c.pv}`)) continue;
    state.outbox.send({ topic: c.topic, key: c.pv, value: c.value, timestampMs: now });
    state.stats.periodic++;
  }
}

function stats(state: State): SerialiserStats {
  let connected = 0;
  for (const [pv, s] of state.pvs) if (s.connected && state.byPv.has(pv)) connected++;
  return {
    ...state.stats,
    pvsSubscribed: state.byPv.size,
    pvsConnected: connected,
    sendLatencyMs: state.latencyCount ? state.latencySumMs / state.latencyCount : 0,
  };
}

function sendStatus(state: State): void {
  const c = state.config;
  const value = x5f2.encode({
    software_name: "nxflow-forwarder",
    software_version: c.version,
    service_id: c.serviceId,
    host_name: hostname(),
    process_id: Deno.pid,
    update_interval: c.statusIntervalMs,
    status_json: statusJson(state.streams, stats(state)),
  });
  state.outbox.send({ topic: c.statusTopic, value, timestampMs: Date.now() });
}

export default defineActor<SerialiserProtocol, SerialiserConfig, State>({
  init(config, ctx) {
    const outbox = new ProducerOutbox(ctx.port("records"));
    const state: State = {
      config: { statusIntervalMs: 4000, ...config },
      outbox,
      streams: [],
      byPv: new Map(),
      pvs: new Map(),
      cache: new Map(),
      sentAt: new Map(),
      latencySumMs: 0,
      latencyCount: 0,
      stats: { forwarded: 0, periodic: 0, acked: 0, droppedTimestamps: 0, processingErrors: 0, sendErrors: 0 },
    };
    outbox.onAcked((deliveries) => {
      const now = performance.now();
      for (const d of deliveries) {
        state.stats.acked++;
        const at = state.sentAt.get(d.id);
        if (at === undefined) continue;
        state.sentAt.delete(d.id);
        state.latencySumMs += now - at;
        state.latencyCount++;
      }
    });
    outbox.onFailed((ids, error) => {
      state.stats.sendErrors += ids.length;
      ids.forEach((id) => state.sentAt.delete(id));
      ctx.emit({ type: "log", level: "warn", message: `${ids.length} records could not be produced: ${error}` });
    });
    const streams = ctx.port("streams");
    streams.onMessage((m) => {
      if (m.type === "streams") setStreams(state, m.streams, m.changed);
    });
    streams.post({ type: "hello" });
    const groups = Array.from({ length: config.groups }, (_, i) => ctx.port(`pvs_${i}`));
    groups.forEach((port, i) =>
      port.onMessage((m) => {
        onPv(state, i, m, ctx);
        if (m.type !== "events") return;
        const credit = () => port.post({ type: "processed", events: m.events.length });
        if (outbox.full) outbox.ready().then(credit);
        else credit();
      })
    );
    // a monitor group that is down cannot report: its PVs count as disconnected until it says hello again
    setInterval(() => groups.forEach((port, i) => port.connected || onPv(state, i, { type: "hello" }, ctx)), 100);
    setInterval(() => sendStatus(state), state.config.statusIntervalMs);
    if (config.periodMs) setInterval(() => resendPeriodic(state), config.periodMs);
    return state;
  },
  requests: {
    stats: (state) => stats(state),
  },
});
