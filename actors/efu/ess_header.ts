/**
 * The common ESS readout packet header (ICD v2), v0 (30 bytes) and v1 (32 bytes), with every check of the reference
 * EFU (`common/readout/ess/Parser.cpp`): padding, version, cookie, detector type, total length vs datagram size,
 * output queue, time-source bits, pulse time fraction range, pulse vs previous pulse, and sequence numbers per output
 * queue (a gap is counted, with the datagrams it skipped, and the packet is still processed). Bad packets are counted under
 * `parser.essheader.errors.*`, never thrown. Pure code: no I/O.
 *
 * @module
 */
import type { Counters } from "./counters.ts";

/** Ticks per second of the ESS clock. */
export const ESS_CLOCK_HZ = 88_052_500;
/** Largest pulse time fraction, in ticks. */
export const MAX_TICKS = ESS_CLOCK_HZ - 1;
/** Largest UDP payload: a 9000-byte MTU minus IP and UDP headers. */
export const MAX_PAYLOAD = 8972;
/** Smallest datagram the parser looks at. */
export const MIN_PAYLOAD = 5;
/** Header sizes by version. */
export const HEADER_BYTES = [30, 32] as const;
/** Number of output queues. */
export const OUTPUT_QUEUES = 12;
/** The cookie "ESS" as the low 24 bits of a little-endian u32. */
export const COOKIE = 0x535345;

/** Nanoseconds of a time given in ESS (seconds, ticks), exact as a bigint. */
export function essTimeNs(high: number, low: number): bigint {
  return BigInt(high) * 1_000_000_000n + BigInt(ticksToNs(low));
}

/** Nanoseconds of a tick count below one second (truncated, as the reference's integer conversion). */
export function ticksToNs(ticks: number): number {
  return Math.floor((ticks * 1e9) / ESS_CLOCK_HZ);
}

/** Time of flight in ns of an event at (high, low) after a pulse at (pulseHigh, pulseLow); may be negative. */
export function tofNs(high: number, low: number, pulseHigh: number, pulseLow: number): number {
  return (high - pulseHigh) * 1e9 + ticksToNs(low) - ticksToNs(pulseLow);
}

/** The checked header of one packet. */
export interface EssHeader {
  version: number;
  type: number;
  outputQueue: number;
  timeSource: number;
  pulseHigh: number;
  pulseLow: number;
  prevPulseHigh: number;
  prevPulseLow: number;
  seqNum: number;
  /** offset of the first readout in the datagram. */
  dataOffset: number;
}

/** What the header parser needs to know. */
export interface HeaderConfig {
  /** the detector type byte this EFU accepts. */
  type: number;
  /** largest allowed pulse − previous pulse, ns; larger is `errors.timehigh`. */
  maxPulseTimeDiffNs: number;
}

/** Every header counter, as named by the reference (without the per-queue packet counters). */
export const HEADER_COUNTERS = [
  "header",
  "buffer",
  "cookie",
  "pad",
  "size",
  "version",
  "output_queue",
  "timing",
  "time_status",
  "even_fibre_sync",
  "odd_fibre_sync",
  "type",
  "seqno",
  "timehigh",
  "timefrac",
].map((n) => `parser.essheader.errors.${n}`).concat([
  "parser.essheader.heartbeats",
  "parser.essheader.missed_packets",
  "parser.essheader.version.v0",
  "parser.essheader.version.v1",
  ...Array.from({ length: OUTPUT_QUEUES }, (_, q) => `parser.essheader.OQ.${String(q).padStart(2, "0")}.packets`),
]);

/** Datagrams skipped by sequence number on one output queue, seen at the first packet after them. */
export interface SequenceGap {
  outputQueue: number;
  /** the first sequence number missed, and how many were. */
  first: number;
  count: number;
  /** pulse time (ESS seconds, ticks) of the packet after the gap. */
  pulseHigh: number;
  pulseLow: number;
}

/**
 * Memory for the expected sequence number of each output queue (and whether one was seen), to share with a
 * parser's successors.
 */
export function sequenceStore(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * OUTPUT_QUEUES * Float64Array.BYTES_PER_ELEMENT);
}

/** A jump back of the sequence, or forward by this much or more, is a restarted sender, not datagrams missed. */
const RESTART_JUMP = 2 ** 31;

/** Parses and checks ESS headers, keeping the expected sequence number of each output queue. */
export class EssHeaderParser {
  #nextSeq: Float64Array;
  #seen: Float64Array;
  #oqNames = HEADER_COUNTERS.filter((n) => n.includes(".OQ."));

  /**
   * `sequences` (from {@linkcode sequenceStore}) holds the expected sequence numbers: a parser made on the same
   * store after a restart goes on from them, so only packets really missed count as `errors.seqno`. Each gap counts
   * the datagrams it skipped (`missed_packets`; not the first packet of a queue, nor a restarted sender's jump) and is
   * passed to `onGap`.
   */
  constructor(
    readonly config: HeaderConfig,
    readonly counters: Counters,
    sequences?: SharedArrayBuffer,
    readonly onGap?: (gap: SequenceGap) => void,
  ) {
    for (const name of HEADER_COUNTERS) counters[name] ??= 0;
    const store = new Float64Array(sequences ?? new ArrayBuffer(2 * OUTPUT_QUEUES * Float64Array.BYTES_PER_ELEMENT));
    if (store.length !== 2 * OUTPUT_QUEUES) {
      throw new RangeError("Cannot use a sequence store not from sequenceStore()");
    }
    this.#nextSeq = store.subarray(0, OUTPUT_QUEUES);
    this.#seen = store.subarray(OUTPUT_QUEUES);
  }

  /**
   * Checks the header of the datagram `data` (exactly the received bytes); returns it, or `null` after counting
   * the reason (the packet must then be dropped).
   */
  parse(data: Uint8Array): EssHeader | null {
    const c = this.counters;
    if (data.length < MIN_PAYLOAD || data.length > MAX_PAYLOAD) return this.#reject("size");
    if (data[0] !== 0) return this.#reject("pad");
    const version = data[1];
    if (version > 1) return this.#reject("version");
    const size = HEADER_BYTES[version];
    if (data.length < size) return this.#reject("size");
    const view = new DataView(data.buffer, data.byteOffset, data.length);
    if ((view.getUint32(2, true) & 0xffffff) !== COOKIE) return this.#reject("cookie");
    const type = data[5];
    if (type !== this.config.type) return this.#reject("type");
    const total = view.getUint16(6, true);
    if (total !== data.length || total < size) return this.#reject("size");
    const outputQueue = data[8];
    if (outputQueue >= OUTPUT_QUEUES) return this.#reject("output_queue");
    const timeSource = data[9];
    if ((timeSource & 0b10) && !(timeSource & 0b1)) return this.#reject("timing");
    if ((timeSource & 0b1000) && !(timeSource & 0b1)) return this.#reject("time_status");
    if (timeSource & 0b10_0000) return this.#reject("even_fibre_sync");
    if (timeSource & 0b1000_0000) return this.#reject("odd_fibre_sync");
    const pulseHigh = view.getUint32(10, true);
    const pulseLow = view.getUint32(14, true);
    const prevPulseHigh = view.getUint32(18, true);
    const prevPulseLow = view.getUint32(22, true);
    if (pulseLow > MAX_TICKS || prevPulseLow > MAX_TICKS) return this.#reject("timefrac");
    if (tofNs(pulseHigh, pulseLow, prevPulseHigh, prevPulseLow) > this.config.maxPulseTimeDiffNs) {
      return this.#reject("timehigh");
    }
    const seqNum = view.getUint32(26, true);
    const expected = this.#nextSeq[outputQueue];
    if (seqNum !== expected) {
      c["parser.essheader.errors.seqno"]++;
      const count = (seqNum - expected) >>> 0;
      if (this.#seen[outputQueue] && count < RESTART_JUMP) {
        c["parser.essheader.missed_packets"] += count;
        this.onGap?.({ outputQueue, first: expected, count, pulseHigh, pulseLow });
      }
    }
    this.#nextSeq[outputQueue] = (seqNum + 1) >>> 0;
    this.#seen[outputQueue] = 1;
    c[this.#oqNames[outputQueue]]++;
    c[version === 0 ? "parser.essheader.version.v0" : "parser.essheader.version.v1"]++;
    if (total === size) c["parser.essheader.heartbeats"]++;
    return {
      version,
      type,
      outputQueue,
      timeSource,
      pulseHigh,
      pulseLow,
      prevPulseHigh,
      prevPulseLow,
      seqNum,
      dataOffset: size,
    };
  }

  #reject(reason: string): null {
    this.counters[`parser.essheader.errors.${reason}`]++;
    this.counters["parser.essheader.errors.header"]++;
    return null;
  }
}
