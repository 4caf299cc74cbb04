/**
 * An {@linkcode EventBatch} as bytes and back, for keeping formation's unacknowledged batches in a record store that
 * outlives it (`../broker/record_store.ts`). Layout: float64 [from, seq, count, segments], then int32 tof and pixel,
 * uint32 segment starts and pulse times (high, low), uint16 sources.
 *
 * @module
 */
import type { EventBatch } from "../../protocols/efu.ts";

/** The bytes of `b` (its first `count` events). */
export function packEvents(b: EventBatch): Uint8Array {
  const [c, s] = [b.count, b.segments];
  const buffer = new ArrayBuffer(32 + 8 * c + 12 * s + 2 * c);
  new Float64Array(buffer, 0, 4).set([b.from, b.seq, c, s]);
  new Int32Array(buffer, 32, c).set(b.tof.subarray(0, c));
  new Int32Array(buffer, 32 + 4 * c, c).set(b.pixel.subarray(0, c));
  new Uint32Array(buffer, 32 + 8 * c, s).set(b.segmentStart.subarray(0, s));
  new Uint32Array(buffer, 32 + 8 * c + 4 * s, s).set(b.pulseHigh.subarray(0, s));
  new Uint32Array(buffer, 32 + 8 * c + 8 * s, s).set(b.pulseLow.subarray(0, s));
  new Uint16Array(buffer, 32 + 8 * c + 12 * s, c).set(b.source.subarray(0, c));
  return new Uint8Array(buffer);
}

/** The batch packed in `bytes` (which must start at offset 0 of their buffer, as a record store's copies do). */
export function unpackEvents(bytes: Uint8Array): EventBatch {
  const buffer = bytes.buffer as ArrayBuffer;
  const [from, seq, c, s] = new Float64Array(buffer, 0, 4);
  return {
    type: "events",
    from,
    seq,
    count: c,
    segments: s,
    tof: new Int32Array(buffer, 32, c),
    pixel: new Int32Array(buffer, 32 + 4 * c, c),
    segmentStart: new Uint32Array(buffer, 32 + 8 * c, s),
    pulseHigh: new Uint32Array(buffer, 32 + 8 * c + 4 * s, s),
    pulseLow: new Uint32Array(buffer, 32 + 8 * c + 8 * s, s),
    source: new Uint16Array(buffer, 32 + 8 * c + 12 * s, c),
  };
}
