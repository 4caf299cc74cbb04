/**
 * The EFU's ev44 serialiser: buffers the events from formation (`events` channel) per source and produces one ev44
 * message per source (reference `common/kafka/EV44Serializer.cpp`) when the pulse changes, when a source reaches
 * `maxEvents` (12,400), or when its oldest buffered event waited `flushMs` (1 s). reference_time holds the pulse time
 * (ns), reference_time_index is [0], message ids start at 1 and increase per source, and the Kafka timestamp is the
 * wall clock. Records go to the producer actor through a {@linkcode ProducerOutbox} (`records` channel); status
 * documents (x5f2, built by the control) go to the status topic the same way. Speaks protocols/efu.ts.
 * Restart: permanent.
 *
 * @module
 */
import type { ProducerLink } from "../../protocols/broker.ts";
import type { EventBatch, FlowAck, SerialiserProtocol } from "../../protocols/efu.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { defineActor, type Port } from "../runtime/actor.ts";
import { type Counters, countersOf } from "./counters.ts";
import { essTimeNs } from "./ess_header.ts";

/** Configuration of the serialiser. */
export interface SerialiserConfig {
  sources: string[];
  topic: string;
  statusTopic: string;
  /** @default 12400 */
  maxEvents?: number;
  /** @default 1000 */
  flushMs?: number;
  /** bytes produced and not yet acknowledged by Kafka; beyond it messages are dropped and counted. @default 64 MiB */
  maxBytesInFlight?: number;
}

const COUNTERS = [
  "produce.messages",
  "produce.events",
  "produce.bytes",
  "produce.cause.pulse_change",
  "produce.cause.max_events",
  "produce.cause.timeout",
  "produce.dropped",
  "produce.errors",
  "produce.status",
];

interface Source {
  name: string;
  tof: Int32Array;
  pixel: Int32Array;
  count: number;
  nextId: bigint;
  firstAt: number;
}

interface State {
  config: Required<SerialiserConfig>;
  counters: Counters;
  sources: Source[];
  outbox: ProducerOutbox;
  events: Port<EventBatch | FlowAck>;
  pulseHigh: number;
  pulseLow: number;
  pulseNs: bigint;
  timer: ReturnType<typeof setInterval>;
}

function flush(s: State, src: Source, cause: string): void {
  if (src.count === 0) return;
  s.counters[cause]++;
  const n = src.count;
  src.count = 0;
  if (s.outbox.full) {
    s.counters["produce.dropped"]++;
    return;
  }
  const value = ev44.encode({
    source_name: src.name,
    message_id: src.nextId++,
    reference_time: [s.pulseNs],
    reference_time_index: [0],
    time_of_flight: src.tof.subarray(0, n),
    pixel_id: src.pixel.subarray(0, n),
  });
  s.outbox.send({ topic: s.config.topic, value, timestampMs: Date.now() });
  s.counters["produce.messages"]++;
  s.counters["produce.events"] += n;
  s.counters["produce.bytes"] += value.byteLength;
}

function add(s: State, b: EventBatch): void {
  const max = s.config.maxEvents;
  for (let seg = 0; seg < b.segments; seg++) {
    if (b.pulseHigh[seg] !== s.pulseHigh || b.pulseLow[seg] !== s.pulseLow) {
      for (const src of s.sources) flush(s, src, "produce.cause.pulse_change");
      s.pulseHigh = b.pulseHigh[seg];
      s.pulseLow = b.pulseLow[seg];
      s.pulseNs = essTimeNs(s.pulseHigh, s.pulseLow);
    }
    const end = seg + 1 < b.segments ? b.segmentStart[seg + 1] : b.count;
    const now = performance.now();
    for (let i = b.segmentStart[seg]; i < end; i++) {
      const src = s.sources[b.source[i]];
      if (src.count === 0) src.firstAt = now;
      src.tof[src.count] = b.tof[i];
      src.pixel[src.count++] = b.pixel[i];
      if (src.count === max) flush(s, src, "produce.cause.max_events");
    }
  }
  s.events.post({ type: "done", seq: b.seq });
}

function tick(s: State): void {
  const now = performance.now();
  for (const src of s.sources) {
    if (src.count > 0 && now - src.firstAt >= s.config.flushMs) flush(s, src, "produce.cause.timeout");
  }
}

export default defineActor<SerialiserProtocol, SerialiserConfig, State>({
  init(config, ctx) {
    const full: Required<SerialiserConfig> = {
      maxEvents: 12_400,
      flushMs: 1000,
      maxBytesInFlight: 64 * 1024 * 1024,
      ...config,
    };
    if (!(full.maxEvents >= 1)) throw new RangeError(`Cannot use maxEvents ${full.maxEvents}: must be ≥ 1`);
    const s: State = {
      config: full,
      counters: countersOf(COUNTERS),
      sources: full.sources.map((name) => ({
        name,
        tof: new Int32Array(full.maxEvents),
        pixel: new Int32Array(full.maxEvents),
        count: 0,
        nextId: 1n,
        firstAt: 0,
      })),
      outbox: new ProducerOutbox(ctx.port("records") as Port<ProducerLink>, {
        maxBytesInFlight: full.maxBytesInFlight,
      }),
      events: ctx.port("events"),
      pulseHigh: -1,
      pulseLow: -1,
      pulseNs: 0n,
      timer: setInterval(() => tick(s), Math.max(10, Math.min(100, full.flushMs / 4))),
    };
    s.outbox.onFailed((ids) => void (s.counters["produce.errors"] += ids.length));
    s.events.onMessage((m) => {
      if (m.type === "events") add(s, m);
    });
    return s;
  },
  handle(s, msg) {
    if (msg.type === "status") {
      s.outbox.send({ topic: s.config.statusTopic, value: msg.value, timestampMs: Date.now() });
      s.counters["produce.status"]++;
    }
  },
  requests: {
    stats: (s) => ({ ...s.counters, "produce.in_flight_bytes": s.outbox.stats.bytesInFlight }),
  },
  terminate(s) {
    clearInterval(s.timer);
    for (const src of s.sources) flush(s, src, "produce.cause.timeout");
    return Promise.race([s.outbox.drained(), new Promise<void>((r) => setTimeout(r, 2000))]);
  },
});
