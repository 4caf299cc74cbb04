/**
 * The EFU's ev44 serialiser: buffers the events from formation (`events` channel) per source and produces one ev44
 * message per source (reference `common/kafka/EV44Serializer.cpp`) when the pulse changes, when a source reaches
 * `maxEvents` (12,400), or when its oldest buffered event waited `flushMs` (1 s). reference_time holds the pulse time
 * (ns), reference_time_index is [0], message ids start at 1 and increase per source, and the Kafka timestamp is the
 * wall clock. Raw datagrams sampled by formation go to `samplesTopic` as ar51 messages
 * (`produce.cause.monitor_packets`). Records go to the producer actor through a {@linkcode ProducerOutbox} (`records`
 * channel); status documents (x5f2, built by the control) go to the status topic the same way. Speaks protocols/efu.ts.
 * Restart: permanent. Counters, message ids, the last event batch handled, the events not yet produced and the
 * records not yet acknowledged by Kafka live in stores that outlive a crash (`counters.ts`, `flow_window.ts`,
 * `event_buffers.ts`, `../broker/record_store.ts`): a restarted serialiser sends its predecessor's unacknowledged
 * records again (the same bytes: readers drop a repeat by source, message id and pulse), goes on with its buffered
 * events and the next id of each source, and skips (acknowledging) a batch formation sends again that its predecessor
 * had handled. Buffers left dirty by a thread stopped inside a task are counted as
 * `produce.lost_events`.
 *
 * @module
 */
import type { ProducerLink } from "../../protocols/broker.ts";
import type { EventBatch, FlowAck, RawSamples, SerialiserProtocol } from "../../protocols/efu.ts";
import { ar51 } from "../../schemas/ar51/codec.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { RecordStore } from "../broker/record_store.ts";
import { defineActor, type Port } from "../runtime/actor.ts";
import { type Counters, countersOf } from "./counters.ts";
import { essTimeNs } from "./ess_header.ts";
import { HandledMark } from "./flow_window.ts";
import { EventBuffers } from "./event_buffers.ts";

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
  /** where the counters live across restarts (`counters.ts`). */
  counterStore?: SharedArrayBuffer;
  /**
   * the next message id of each source, then of the samples (a BigInt64Array's memory, sources + 1 long), so ids go
   * on increasing across restarts.
   */
  messageIds?: SharedArrayBuffer;
  /** where the number of the last event batch handled lives across restarts (`flow_window.ts`). */
  handledStore?: SharedArrayBuffer;
  /** where the events not yet produced live across restarts (`event_buffers.ts`; sized for sources and maxEvents). */
  bufferStore?: SharedArrayBuffer;
  /**
   * where the records not yet acknowledged by Kafka live across restarts (`recordStoreMemory()`, larger than
   * maxBytesInFlight), sent again by a restarted serialiser.
   */
  outboxStore?: SharedArrayBuffer;
  /** topic of the raw datagram samples (ar51), sent by formation; "" = none expected. @default "" */
  samplesTopic?: string;
  /** source_name of the ar51 samples. @default "efu" */
  samplesSource?: string;
}

const COUNTERS = [
  "produce.messages",
  "produce.events",
  "produce.bytes",
  "produce.cause.pulse_change",
  "produce.cause.max_events",
  "produce.cause.timeout",
  "produce.dropped",
  "produce.dropped_events",
  "produce.errors",
  "produce.status",
  "produce.buffered_events",
  "produce.lost_events",
  "produce.cause.monitor_packets",
];

interface Source {
  name: string;
  /** when its oldest buffered event came (performance.now()). */
  firstAt: number;
}

interface State {
  config:
    & SerialiserConfig
    & Required<Pick<SerialiserConfig, "maxEvents" | "flushMs" | "maxBytesInFlight" | "samplesTopic" | "samplesSource">>;
  counters: Counters;
  sources: Source[];
  buffers: EventBuffers;
  /** next message id per source. */
  ids: BigInt64Array;
  outbox: ProducerOutbox;
  handled: HandledMark;
  events: Port<EventBatch | RawSamples | FlowAck>;
  pulseNs: bigint;
  timer: ReturnType<typeof setInterval>;
}

function flush(s: State, index: number, cause: string): void {
  const b = s.buffers;
  const n = b.count(index);
  if (n === 0) return;
  s.counters[cause]++;
  b.setCount(index, 0);
  if (s.outbox.full) {
    s.counters["produce.dropped"]++;
    s.counters["produce.dropped_events"] += n;
    return;
  }
  const value = ev44.encode({
    source_name: s.sources[index].name,
    message_id: s.ids[index]++,
    reference_time: [s.pulseNs],
    reference_time_index: [0],
    time_of_flight: b.tof[index].subarray(0, n),
    pixel_id: b.pixel[index].subarray(0, n),
  });
  s.outbox.send({ topic: s.config.topic, value, timestampMs: Date.now() });
  s.counters["produce.messages"]++;
  s.counters["produce.events"] += n;
  s.counters["produce.bytes"] += value.byteLength;
}

function flushAll(s: State, cause: string): void {
  for (let i = 0; i < s.sources.length; i++) flush(s, i, cause);
}

function add(s: State, batch: EventBatch): void {
  if (!s.handled.take(batch)) return void s.events.post({ type: "done", seq: batch.seq });
  const max = s.config.maxEvents;
  const b = s.buffers;
  b.dirty = true;
  for (let seg = 0; seg < batch.segments; seg++) {
    const [high, low] = b.pulse;
    if (batch.pulseHigh[seg] !== high || batch.pulseLow[seg] !== low) {
      flushAll(s, "produce.cause.pulse_change");
      b.pulse = [batch.pulseHigh[seg], batch.pulseLow[seg]];
      s.pulseNs = essTimeNs(batch.pulseHigh[seg], batch.pulseLow[seg]);
    }
    const end = seg + 1 < batch.segments ? batch.segmentStart[seg + 1] : batch.count;
    const now = performance.now();
    for (let i = batch.segmentStart[seg]; i < end; i++) {
      const index = batch.source[i];
      let n = b.count(index);
      if (n === 0) s.sources[index].firstAt = now;
      b.tof[index][n] = batch.tof[i];
      b.pixel[index][n++] = batch.pixel[i];
      b.setCount(index, n);
      if (n === max) flush(s, index, "produce.cause.max_events");
    }
  }
  b.dirty = false;
  s.counters["produce.buffered_events"] = b.total();
  s.events.post({ type: "done", seq: batch.seq });
}

/** Produces each sampled datagram as one ar51 message (message ids after the sources' in `ids`). */
function produceSamples(s: State, m: RawSamples): void {
  const last = s.ids.length - 1;
  let offset = 0;
  for (const length of m.lengths) {
    const raw = m.data.subarray(offset, offset + length);
    offset += length;
    if (s.outbox.full) {
      s.counters["produce.dropped"]++;
      continue;
    }
    const value = ar51.encode({ source_name: s.config.samplesSource, message_id: s.ids[last]++, raw_data: raw });
    s.outbox.send({ topic: s.config.samplesTopic, value, timestampMs: Date.now() });
    s.counters["produce.cause.monitor_packets"]++;
  }
}

function tick(s: State): void {
  const now = performance.now();
  s.buffers.dirty = true;
  for (let i = 0; i < s.sources.length; i++) {
    if (s.buffers.count(i) > 0 && now - s.sources[i].firstAt >= s.config.flushMs) flush(s, i, "produce.cause.timeout");
  }
  s.buffers.dirty = false;
  s.counters["produce.buffered_events"] = s.buffers.total();
}

export default defineActor<SerialiserProtocol, SerialiserConfig, State>({
  init(config, ctx) {
    const full = {
      maxEvents: 12_400,
      flushMs: 1000,
      maxBytesInFlight: 64 * 1024 * 1024,
      samplesTopic: "",
      samplesSource: "efu",
      ...config,
    };
    if (!(full.maxEvents >= 1)) throw new RangeError(`Cannot use maxEvents ${full.maxEvents}: must be ≥ 1`);
    const ids = new BigInt64Array(full.messageIds ?? new ArrayBuffer(8 * (full.sources.length + 1)));
    if (ids.length <= full.sources.length) throw new RangeError(`messageIds holds ${ids.length} ids, not sources + 1`);
    for (let i = 0; i < ids.length; i++) ids[i] ||= 1n;
    const counters = countersOf(COUNTERS, full.counterStore);
    const buffers = new EventBuffers(full.sources.length, full.maxEvents, full.bufferStore);
    if (buffers.dirty) {
      // a predecessor stopped while changing its buffers: what they hold cannot be trusted
      counters["produce.lost_events"] += buffers.total();
      for (let i = 0; i < full.sources.length; i++) buffers.setCount(i, 0);
      buffers.dirty = false;
    }
    const [high, low] = buffers.pulse;
    const now = performance.now();
    const s: State = {
      config: full,
      counters,
      // a predecessor's buffered events wait their full flushMs again
      sources: full.sources.map((name) => ({ name, firstAt: now })),
      buffers,
      ids,
      outbox: new ProducerOutbox(ctx.port("records") as Port<ProducerLink>, {
        maxBytesInFlight: full.maxBytesInFlight,
        store: full.outboxStore ? new RecordStore(full.outboxStore) : undefined,
        // above any id a predecessor used: the producer's acknowledgements of its records settle none of ours
        firstId: Date.now() * 1000,
      }),
      handled: new HandledMark(full.handledStore),
      events: ctx.port("events"),
      pulseNs: high < 0 ? 0n : essTimeNs(high, low),
      timer: setInterval(() => tick(s), Math.max(10, Math.min(100, full.flushMs / 4))),
    };
    s.outbox.onFailed((ids) => void (s.counters["produce.errors"] += ids.length));
    s.events.onMessage((m) => {
      if (m.type === "events") add(s, m);
      else if (m.type === "samples" && s.config.samplesTopic) produceSamples(s, m);
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
    flushAll(s, "produce.cause.timeout");
    s.counters["produce.buffered_events"] = 0;
    return Promise.race([s.outbox.drained(), new Promise<void>((r) => setTimeout(r, 2000))]);
  },
});
