/**
 * Event formation, as pure code: turns a batch of datagrams into neutron events (source, pixel id, time of flight)
 * cut into pulse segments. Checks each ESS header, hands the readouts to the detector family, and applies the
 * time-of-flight rules of the reference (`common/time/ESSTime.cpp`): a negative TOF is retried against the previous
 * pulse (counted under `events.timestamp.prevtof.*`) and still goes into the current pulse's message; a TOF above
 * `maxTofNs` is dropped. The formation actor wraps it.
 *
 * @module
 */
import type { EventBatch } from "../../protocols/efu.ts";
import type { Counters } from "./counters.ts";
import { type DetectorConfig, familyOf } from "./detector_config.ts";
import { EssHeaderParser, HEADER_BYTES, HEADER_COUNTERS, type SequenceGap, tofNs } from "./ess_header.ts";
import type { FamilyInstance } from "./families/registry.ts";

/** Counters of event formation besides the header's and the family's. */
export const FORMATION_COUNTERS = [
  "events.count",
  "events.timestamp.tof.count",
  "events.timestamp.tof.negative",
  "events.timestamp.tof.high",
  "events.timestamp.prevtof.count",
  "events.timestamp.prevtof.negative",
  "events.timestamp.prevtof.high",
  "readouts.packets",
];

/** Every counter an {@linkcode EventFormer} of `config` keeps: the header's, formation's and the family's. */
export function formerCounterNames(config: DetectorConfig): string[] {
  return [...HEADER_COUNTERS, ...FORMATION_COUNTERS, ...familyOf(config).counterNames];
}

/** Forms events from packet batches of one detector. */
export class EventFormer {
  readonly family: FamilyInstance;
  readonly header: EssHeaderParser;
  readonly maxTof: number;
  #out!: EventBatch;
  #pulseHigh = 0;
  #pulseLow = 0;
  #prevHigh = 0;
  #prevLow = 0;
  /** hot counters, added to `counters` after each batch. */
  #tofCount = 0;
  #prevTofCount = 0;
  #sink = (source: number, high: number, low: number, pixel: number): void => this.#add(source, high, low, pixel);

  /** `sequences`, `onGap`: see {@linkcode EssHeaderParser}. */
  constructor(
    config: DetectorConfig,
    readonly counters: Counters,
    sequences?: SharedArrayBuffer,
    onGap?: (gap: SequenceGap) => void,
  ) {
    this.family = familyOf(config);
    this.header = new EssHeaderParser(
      { type: this.family.type, maxPulseTimeDiffNs: config.maxPulseTimeDiffNs },
      counters,
      sequences,
      onGap,
    );
    this.maxTof = config.maxTofNs;
    for (const n of [...FORMATION_COUNTERS, ...this.family.counterNames]) counters[n] ??= 0;
  }

  /** Forms the events of `packets` (datagrams back to back, sizes in `lengths`). */
  form(seq: number, packets: Uint8Array, lengths: Uint32Array): EventBatch {
    const perPacket = Math.ceil((8972 - HEADER_BYTES[0]) / this.family.readoutBytes);
    const capacity = Math.min(Math.ceil(packets.length / this.family.readoutBytes), perPacket * lengths.length) + 1;
    this.#out = {
      type: "events",
      from: 0,
      seq,
      count: 0,
      tof: new Int32Array(capacity),
      pixel: new Int32Array(capacity),
      source: new Uint16Array(capacity),
      segments: 0,
      segmentStart: new Uint32Array(lengths.length),
      pulseHigh: new Uint32Array(lengths.length),
      pulseLow: new Uint32Array(lengths.length),
    };
    const view = new DataView(packets.buffer, packets.byteOffset, packets.byteLength);
    let offset = 0;
    for (let i = 0; i < lengths.length; i++) {
      const packet = packets.subarray(offset, offset + lengths[i]);
      this.#packet(packet, new DataView(view.buffer, view.byteOffset + offset, lengths[i]));
      offset += lengths[i];
    }
    this.counters["events.count"] += this.#out.count;
    this.counters["events.timestamp.tof.count"] += this.#tofCount;
    this.counters["events.timestamp.prevtof.count"] += this.#prevTofCount;
    this.#tofCount = 0;
    this.#prevTofCount = 0;
    return this.#out;
  }

  #packet(packet: Uint8Array, view: DataView): void {
    const h = this.header.parse(packet);
    if (!h) return;
    this.counters["readouts.packets"]++;
    const out = this.#out;
    const s = out.segments;
    if (s === 0 || out.pulseHigh[s - 1] !== h.pulseHigh || out.pulseLow[s - 1] !== h.pulseLow) {
      out.segmentStart[s] = out.count;
      out.pulseHigh[s] = h.pulseHigh;
      out.pulseLow[s] = h.pulseLow;
      out.segments++;
    }
    this.#pulseHigh = h.pulseHigh;
    this.#pulseLow = h.pulseLow;
    this.#prevHigh = h.prevPulseHigh;
    this.#prevLow = h.prevPulseLow;
    this.family.parse(packet, view, h.dataOffset, this.counters, this.#sink);
  }

  #add(source: number, high: number, low: number, pixel: number): void {
    const c = this.counters;
    let tof = tofNs(high, low, this.#pulseHigh, this.#pulseLow);
    if (tof < 0) {
      c["events.timestamp.tof.negative"]++;
      tof = tofNs(high, low, this.#prevHigh, this.#prevLow);
      if (tof < 0) return void c["events.timestamp.prevtof.negative"]++;
      if (tof > this.maxTof) return void c["events.timestamp.prevtof.high"]++;
      this.#prevTofCount++;
    } else if (tof > this.maxTof) {
      return void c["events.timestamp.tof.high"]++;
    } else {
      this.#tofCount++;
    }
    const out = this.#out;
    const i = out.count++;
    out.tof[i] = tof;
    out.pixel[i] = pixel;
    out.source[i] = source;
  }
}
