/**
 * The writer benchmark's data and structures: ev44 and f144 messages produced into a data topic with Kafka timestamps
 * (and flatbuffer times) inside a past window, with `@platformatic/kafka` because producing is not what is measured;
 * and the nexus_structure of each case.
 *
 * @module
 */
import { produceRecords } from "../../../actors/broker/client.ts";
import type { ProduceRecord } from "../../../protocols/broker.ts";
import { ev44 } from "../../../schemas/ev44/codec.ts";
import { f144 } from "../../../schemas/f144/codec.ts";

/** The ev44 source name of the benchmark's detector. */
export const EV44_SOURCE = "bench_detector";

/** What one send carries at most: bytes of values, and messages (librdkafka's `batch.num.messages` default). */
const SEND_BYTES = 16 * 1024 * 1024;
const SEND_MESSAGES = 10_000;
/** Distinct event arrays cycled through the messages (their contents do not matter to an uncompressed file). */
const PATTERNS = 4;
const NS_PER_MS = 1_000_000n;

/** Times of a historic job, ms since the epoch: every message lies strictly inside. */
export interface Window {
  startMs: number;
  stopMs: number;
}

/** A message to produce, with its Kafka timestamp. */
export interface Outgoing {
  value: Uint8Array;
  timestampMs: number;
}

/** Sends messages to one topic in sends of at most about {@linkcode SEND_BYTES} or {@linkcode SEND_MESSAGES};
 * returns the value bytes sent. */
export async function produceAll(bootstrap: string, topic: string, messages: Iterable<Outgoing>): Promise<number> {
  const connection = { brokers: bootstrap.split(","), clientId: "writer-bench-fill" };
  let bytes = 0;
  let pending: ProduceRecord[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pending.length) await produceRecords(connection, pending, SEND_MESSAGES);
    pending = [];
    pendingBytes = 0;
  };
  for (const m of messages) {
    pending.push({ topic, value: m.value, timestampMs: m.timestampMs });
    pendingBytes += m.value.byteLength;
    bytes += m.value.byteLength;
    if (pendingBytes >= SEND_BYTES || pending.length >= SEND_MESSAGES) await flush();
  }
  await flush();
  return bytes;
}

/** Pseudo-random int32 values in [0, range) (a fixed LCG: the same data in every run). */
function pattern(n: number, seed: number, range: number): Int32Array {
  const out = new Int32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x % range;
  }
  return out;
}

/** `count` ev44 messages of `events` events (one pulse each), evenly over the window, in time order. */
export function* ev44Messages(window: Window, events: number, count: number): Generator<Outgoing> {
  const tof = Array.from({ length: PATTERNS }, (_, p) => pattern(events, 2 * p + 1, 71_000_000));
  const pixels = Array.from({ length: PATTERNS }, (_, p) => pattern(events, 2 * p + 2, 1_000_000));
  const span = window.stopMs - window.startMs - 2;
  for (let i = 0; i < count; i++) {
    const ms = window.startMs + 1 + Math.floor(i * span / count);
    const value = ev44.encode({
      source_name: EV44_SOURCE,
      message_id: BigInt(i),
      reference_time: BigInt64Array.of(BigInt(ms) * NS_PER_MS),
      reference_time_index: Int32Array.of(0),
      time_of_flight: tof[i % PATTERNS],
      pixel_id: pixels[i % PATTERNS],
    });
    yield { value, timestampMs: ms };
  }
}

/** Produces `count` ev44 messages of `events` events (one pulse each), evenly over the window; returns bytes sent. */
export function fillEv44(bootstrap: string, topic: string, window: Window, events: number, count: number) {
  return produceAll(bootstrap, topic, ev44Messages(window, events, count));
}

/** The source name of PV number `i`. */
export function pvName(i: number): string {
  return `BENCH:PV${String(i).padStart(4, "0")}`;
}

/** A window holding `updates` updates at `hz` of every PV (with room before the first and after the last). */
export function f144Window(startMs: number, updates: number, hz: number): Window {
  return { startMs, stopMs: startMs + 2 + Math.ceil(updates * 1000 / hz) };
}

function* f144Messages(window: Window, pvs: number, updates: number, hz: number): Generator<Outgoing> {
  const periodNs = BigInt(Math.round(1e9 / hz));
  // the PVs of one period are spread over its first half, each at a time of its own
  const stepNs = periodNs / 2n / BigInt(pvs);
  const firstNs = BigInt(window.startMs + 1) * NS_PER_MS;
  for (let k = 0; k < updates; k++) {
    for (let i = 0; i < pvs; i++) {
      const ns = firstNs + BigInt(k) * periodNs + BigInt(i) * stepNs;
      const value = f144.encode({ source_name: pvName(i), timestamp: ns, value_type: "Double", value: { value: k } });
      yield { value, timestampMs: Number(ns / NS_PER_MS) };
    }
  }
}

/** Produces `updates` f144 double updates of each of `pvs` PVs at `hz`, in time order; returns bytes sent. */
export function fillF144(bootstrap: string, topic: string, window: Window, pvs: number, updates: number, hz: number) {
  return produceAll(bootstrap, topic, f144Messages(window, pvs, updates, hz));
}

/** An NXentry holding `children`. */
function entry(children: unknown[]): unknown {
  return { children: [{ type: "group", name: "entry", attributes: { NX_class: "NXentry" }, children }] };
}

/** One NXevent_data group written by ev44 from the topic. */
export function ev44Structure(topic: string): unknown {
  return entry([{
    type: "group",
    name: "events",
    attributes: { NX_class: "NXevent_data" },
    children: [{ module: "ev44", config: { topic, source: EV44_SOURCE } }],
  }]);
}

/** One NXlog per PV written by f144 (double), without the al00/ep01 companions: only `value`, `time` and cues. */
export function f144Structure(topic: string, pvs: number): unknown {
  return entry(Array.from({ length: pvs }, (_, i) => ({
    type: "group",
    name: `pv${String(i).padStart(4, "0")}`,
    attributes: { NX_class: "NXlog" },
    children: [{
      module: "f144",
      config: {
        topic,
        source: pvName(i),
        dtype: "double",
        value_units: "K",
        enable_alarm_info: false,
        enable_epics_con_info: false,
      },
    }],
  })));
}
