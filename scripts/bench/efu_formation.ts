/**
 * EFU parse + formation on one core: full 8972-byte BIFROST packets (v1 header, 372 CAEN readouts) through the
 * EFU's `EventFormer` (every header check, readout checks, geometry, TOF rules, counters) in batches of 32, as the
 * formation actor runs them. Anchor, measured in the same run: a bare loop that only reads the readouts' fields and
 * computes a BIFROST-style pixel and TOF into typed arrays (the kind of loop behind the reference's 109 M readouts/s
 * on Deno). Prints JSON lines.
 *
 * Usage: deno run -A scripts/bench/efu_formation.ts
 *
 * @module
 */
import { checkDetectorConfig } from "../../actors/efu/detector_config.ts";
import { EventFormer } from "../../actors/efu/event_former.ts";
import { addNs, buildPacket, essTimeOf, readoutsPerPacket } from "../../actors/efu/readout_packets.ts";
import { report } from "./support/report.ts";

const BATCH = 32;
const SECONDS = 3;

function packets(former: EventFormer): { data: Uint8Array; lengths: Uint32Array; readouts: number } {
  const per = readoutsPerPacket(former.family, 1);
  const pixel = new Int32Array(per).map((_, i) => 1 + (i * 7) % 98 + 900 * (i % 15));
  const tof = new Int32Array(per).map((_, i) => i * 100_000);
  const pulse = essTimeOf(1_750_000_000_000_000_000n);
  const prev = addNs(pulse.high, pulse.low, -71_428_571);
  const parts: Uint8Array[] = [];
  for (let seq = 0; seq < BATCH; seq++) {
    const h = {
      version: 1 as const,
      type: 0x34,
      outputQueue: 0,
      timeSource: 0,
      seq,
      pulseHigh: pulse.high,
      pulseLow: pulse.low,
      prevPulseHigh: prev.high,
      prevPulseLow: prev.low,
    };
    parts.push(buildPacket(former.family, h, pixel, tof, 0, per).packet);
  }
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) data.set(p, (at += p.length) - p.length);
  return { data, lengths: Uint32Array.from(parts, (p) => p.length), readouts: per * BATCH };
}

function timeLoop(body: () => number): { perSecond: number } {
  let n = 0;
  for (let i = 0; i < 50; i++) body(); // warm-up
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) n += body();
  return { perSecond: n / ((performance.now() - start) / 1000) };
}

/** The anchor: read each readout's fields, compute pixel and TOF, store them; no checks, no counters. */
function bareLoop(data: Uint8Array, lengths: Uint32Array, tof: Int32Array, pixel: Int32Array): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  let n = 0;
  for (let p = 0; p < lengths.length; p++) {
    const pulseHigh = view.getUint32(offset + 10, true);
    const pulseLow = view.getUint32(offset + 14, true);
    for (let at = offset + 32; at < offset + lengths[p]; at += 24) {
      const a = view.getUint16(at + 16, true);
      const b = view.getUint16(at + 18, true);
      const group = data[at + 13];
      const x = (data[at] >> 1) * 300 + (group % 3) * 100 + Math.floor((a / (a + b)) * 99);
      pixel[n] = Math.floor(group / 3) * 3 * 900 + x + 1;
      tof[n++] = (view.getUint32(at + 4, true) - pulseHigh) * 1e9 +
        Math.floor((view.getUint32(at + 8, true) - pulseLow) * 11.356860);
    }
    offset += lengths[p];
  }
  return n;
}

const former = new EventFormer(checkDetectorConfig({ instrument: "bifrost", family: "caen" }, "bench"), {});
const { data, lengths, readouts } = packets(former);
const check = former.form(0, data, lengths);
if (check.count !== readouts) throw new Error(`formation kept ${check.count} of ${readouts} events`);
const ours = timeLoop(() => former.form(0, data, lengths).count);
const tof = new Int32Array(readouts);
const pixel = new Int32Array(readouts);
const bare = timeLoop(() => bareLoop(data, lengths, tof, pixel));
report({
  bench: "efu_formation",
  figure: "readouts/s per core (EventFormer, BIFROST, 372 readouts per packet, batches of 32)",
  value: ours.perSecond,
  unit: "readouts/s",
  anchor: "bare parse loop measured in this run (no checks, no counters)",
  anchorValue: bare.perSecond,
  goal: "≥ 1e7 readouts/s per core (LoKI rate)",
  met: ours.perSecond >= 1e7,
});
report({
  bench: "efu_formation",
  figure: "packets/s per core (EventFormer)",
  value: ours.perSecond / (readouts / BATCH),
  unit: "packets/s",
  anchor: "reference measurement, Deno 2.9.6 (readout-and-performance.md §3.4)",
  anchorValue: 294_000,
});
