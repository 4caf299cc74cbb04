/**
 * The EFU's event formation actor: takes packet batches from the socket reader (`packets` channel), forms events
 * with the detector's family (`event_former.ts`: header checks, readouts, pixel ids, time of flight) and posts them
 * to the serialiser (`events` channel). Acknowledges each packet batch so the reader bounds what it keeps, and skips
 * (acknowledging) a batch re-sent after a restart that it handled before (`flow_window.ts`). Keeps its own output the
 * same way: each event batch until the serialiser acknowledges it — also in a store that outlives it
 * (`windowStore`), so a restarted formation sends its predecessor's again — sent again to a restarted serialiser,
 * bounded (`events.dropped` beyond it, `events.lost` for a batch known lost otherwise).
 * Copies `monitorConsecutive` of every `monitorEvery` datagrams, raw, to the serialiser for the samples topic.
 * Datagrams missed (sequence gaps: the kernel's drops, what a crashed reader took with it) are counted
 * (`parser.essheader.missed_packets`) and logged at once, a line a gap, `queue:first+count@pulse` (the pulse, in
 * ns, of the packet after it); beyond 10 lines a second the rest are summed in one line. Speaks protocols/efu.ts.
 * Restart: permanent; its counters, the expected sequence numbers and the last batch handled outlive it, so a
 * restart shows as sequence errors only if packets were lost in it.
 *
 * @module
 */
import type { EventBatch, FlowAck, FormationProtocol, PacketBatch, RawSamples } from "../../protocols/efu.ts";
import { defineActor, type Port } from "../runtime/actor.ts";
import { type Counters, countersOf } from "./counters.ts";
import type { DetectorConfig } from "./detector_config.ts";
import { EventFormer, formerCounterNames } from "./event_former.ts";
import { essTimeNs, type SequenceGap } from "./ess_header.ts";
import { FlowWindow, HandledMark } from "./flow_window.ts";
import { packEvents, unpackEvents } from "./event_batch_bytes.ts";
import { RecordStore } from "../broker/record_store.ts";

/** Configuration of the formation actor. */
export interface FormationConfig {
  detector: DetectorConfig;
  /** @default 67108864 (64 MiB) */
  maxInFlightBytes?: number;
  /** where the counters live across restarts (`counters.ts`). */
  counterStore?: SharedArrayBuffer;
  /** where the expected sequence number of each output queue lives across restarts (`ess_header.ts`). */
  sequenceStore?: SharedArrayBuffer;
  /** where the number of the last packet batch handled lives across restarts (`flow_window.ts`). */
  handledStore?: SharedArrayBuffer;
  /**
   * where the event batches not yet acknowledged by the serialiser live across restarts (`recordStoreMemory()`,
   * larger than maxInFlightBytes): a restarted formation sends them again.
   */
  windowStore?: SharedArrayBuffer;
  /** sample `monitorConsecutive` datagrams of every `monitorEvery` (0 = none) for the samples topic. @default 0 */
  monitorEvery?: number;
  /** @default 2 */
  monitorConsecutive?: number;
}

interface State {
  counters: Counters;
  former: EventFormer;
  window: FlowWindow<EventBatch>;
  handled: HandledMark;
  /** the window's batches, in a store that outlives this actor, and their slots by number. */
  kept: RecordStore | null;
  slots: Map<number, number>;
  packets: Port<PacketBatch | FlowAck>;
  events: Port<EventBatch | RawSamples | FlowAck>;
  monitorEvery: number;
  monitorConsecutive: number;
  /** datagrams seen, for sampling. */
  seen: number;
  path: string;
  /** gap lines logged in the current second, and the gaps beyond the limit not named (count, datagrams). */
  gapLines: number;
  unnamed: { gaps: number; datagrams: number };
  gapTimer: ReturnType<typeof setInterval>;
}

/** Gap lines logged per second at most; the others are summed in one line. */
const GAP_LINES_PER_SECOND = 10;

function onGap(s: State, g: SequenceGap): void {
  if (s.gapLines++ < GAP_LINES_PER_SECOND) {
    const at = essTimeNs(g.pulseHigh, g.pulseLow);
    console.warn(
      `${s.path}: missed datagrams [queue:first+count@pulse_ns] ${g.outputQueue}:${g.first}+${g.count}@${at}`,
    );
  } else {
    s.unnamed.gaps++;
    s.unnamed.datagrams += g.count;
  }
}

function newSecond(s: State): void {
  s.gapLines = 0;
  if (s.unnamed.gaps === 0) return;
  console.warn(`${s.path}: missed ${s.unnamed.datagrams} more datagrams in ${s.unnamed.gaps} gaps (not named)`);
  s.unnamed = { gaps: 0, datagrams: 0 };
}

/** Copies the datagrams of `batch` that fall on the sampling pattern (the reference's --monitor_every/consecutive). */
function sample(s: State, batch: PacketBatch): RawSamples | null {
  const picked: [number, number][] = [];
  let offset = 0;
  for (const length of batch.lengths) {
    if (s.seen++ % s.monitorEvery < s.monitorConsecutive) picked.push([offset, length]);
    offset += length;
  }
  if (picked.length === 0) return null;
  const data = new Uint8Array(picked.reduce((n, [, length]) => n + length, 0));
  let at = 0;
  for (const [from, length] of picked) {
    data.set(batch.data.subarray(from, from + length), at);
    at += length;
  }
  return { type: "samples", data, lengths: Uint32Array.from(picked, ([, length]) => length) };
}

/** A copy to transfer (the window keeps the batch). */
function copyOfEvents(b: EventBatch): EventBatch {
  const [tof, pixel, source] = [b.tof.slice(0, b.count), b.pixel.slice(0, b.count), b.source.slice(0, b.count)];
  const [segmentStart, pulseHigh, pulseLow] = [b.segmentStart.slice(), b.pulseHigh.slice(), b.pulseLow.slice()];
  return { ...b, tof, pixel, source, segmentStart, pulseHigh, pulseLow };
}

function form(s: State, batch: PacketBatch): void {
  if (!s.handled.take(batch)) return void s.packets.post({ type: "done", seq: batch.seq });
  const samples = s.monitorEvery > 0 ? sample(s, batch) : null;
  if (samples) s.events.post(samples);
  const out = s.former.form(0, batch.data, batch.lengths);
  s.packets.post({ type: "done", seq: batch.seq });
  if (out.segments === 0) return;
  const bytes = out.tof.byteLength * 2 + out.source.byteLength;
  if (!s.window.fits(bytes)) {
    s.counters["events.dropped"] += out.count;
    return;
  }
  s.window.sent(bytes, out.count, out);
  const slot = s.kept?.add({ topic: "", value: packEvents(out) }) ?? -1;
  if (slot >= 0) s.slots.set(out.seq, slot);
  if (s.events.connected) s.events.post(copyOfEvents(out));
}

/** Settles the batches up to `seq`: the serialiser has them. */
function settle(s: State, seq: number): void {
  s.counters["events.lost"] += s.window.done(seq);
  for (const [n, slot] of s.slots) {
    if (n > seq) break;
    s.kept!.release(slot);
    s.slots.delete(n);
  }
}

/** Takes over the batches a predecessor kept, to send them again (the serialiser skips those it has). */
function recover(s: State): void {
  for (const { slot, record } of s.kept?.kept() ?? []) {
    const b = unpackEvents(record.value);
    s.window.restore(b.tof.byteLength * 2 + b.source.byteLength, b.count, b);
    s.slots.set(b.seq, slot);
  }
}

export default defineActor<FormationProtocol, FormationConfig, State>({
  init(config, ctx) {
    const s: State = {
      counters: countersOf(
        ["events.dropped", "events.lost", ...formerCounterNames(config.detector)],
        config.counterStore,
      ),
      former: undefined as unknown as EventFormer,
      window: new FlowWindow(config.maxInFlightBytes ?? 64 * 1024 * 1024),
      handled: new HandledMark(config.handledStore),
      kept: config.windowStore ? new RecordStore(config.windowStore) : null,
      slots: new Map(),
      packets: ctx.port("packets"),
      events: ctx.port("events"),
      monitorEvery: config.monitorEvery ?? 0,
      monitorConsecutive: config.monitorConsecutive ?? 2,
      seen: 0,
      path: ctx.path,
      gapLines: 0,
      unnamed: { gaps: 0, datagrams: 0 },
      gapTimer: setInterval(() => newSecond(s), 1000),
    };
    s.former = new EventFormer(config.detector, s.counters, config.sequenceStore, (gap) => onGap(s, gap));
    // a predecessor's batches go first, before any formed here (packets that came early are formed on onMessage)
    recover(s);
    const resend = () => {
      for (const batch of s.window.unsettled()) s.events.post(copyOfEvents(batch));
    };
    s.events.onMessage((m) => {
      if (m.type === "done") settle(s, m.seq);
    });
    s.events.onConnect(resend);
    if (s.events.connected) resend();
    s.packets.onMessage((m) => {
      if (m.type === "packets") form(s, m);
    });
    return s;
  },
  requests: {
    stats: (s) => ({ ...s.counters }),
  },
  terminate(s) {
    clearInterval(s.gapTimer);
    newSecond(s);
  },
});
