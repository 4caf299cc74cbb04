import assert from "node:assert/strict";
import type { Counters } from "../../actors/efu/counters.ts";
import { checkDetectorConfig, PULSE_PERIOD_NS } from "../../actors/efu/detector_config.ts";
import { tofNs } from "../../actors/efu/ess_header.ts";
import { EventFormer } from "../../actors/efu/event_former.ts";
import { addNs, buildPacket, essTimeOf, type PacketHeader } from "../../actors/efu/readout_packets.ts";

const CONFIG = checkDetectorConfig({ instrument: "bifrost", family: "caen", geometry: { sourceName: "bifrost" } }, "t");
const PULSE = essTimeOf(1_700_000_000_000_000_000n);
const PREV = addNs(PULSE.high, PULSE.low, -PULSE_PERIOD_NS);
const HEADER: PacketHeader = {
  version: 1,
  type: 0x34,
  outputQueue: 0,
  timeSource: 0,
  seq: 0,
  pulseHigh: PULSE.high,
  pulseLow: PULSE.low,
  prevPulseHigh: PREV.high,
  prevPulseLow: PREV.low,
};

function batch(packets: Uint8Array[]): { data: Uint8Array; lengths: Uint32Array } {
  const data = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of packets) {
    data.set(p, at);
    at += p.length;
  }
  return { data, lengths: Uint32Array.from(packets, (p) => p.length) };
}

Deno.test("event former: pixel ids and time of flight of generated packets, cut into pulse segments", () => {
  const counters: Counters = {};
  const former = new EventFormer(CONFIG, counters);
  const pixels = [1, 2, 3, 4001, 5001];
  const tofs = [0, 1000, 50_000_000, 70_000_000, 1_000_000_000];
  const a = buildPacket(former.family, HEADER, pixels, tofs, 0, 5).packet;
  const next = addNs(PULSE.high, PULSE.low, PULSE_PERIOD_NS);
  const b = buildPacket(former.family, { ...HEADER, seq: 1, pulseHigh: next.high, pulseLow: next.low }, [7], [5], 0, 1);
  const { data, lengths } = batch([a, b.packet]);
  const out = former.form(1, data, lengths);
  assert.equal(out.count, 6, JSON.stringify(Object.entries(counters).filter((e) => e[1])));
  assert.deepEqual([...out.pixel.subarray(0, 6)], [...pixels, 7]);
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(out.tof[i] - tofs[i]) <= 12, `tof ${i}: ${out.tof[i]}`);
  const t = addNs(PULSE.high, PULSE.low, 1000);
  assert.equal(out.tof[1], tofNs(t.high, t.low, PULSE.high, PULSE.low));
  assert.equal(out.segments, 2);
  assert.deepEqual([...out.segmentStart.subarray(0, 2)], [0, 5]);
  assert.equal(out.pulseHigh[1], next.high);
  assert.equal(counters["events.count"], 6);
  assert.equal(counters["events.timestamp.tof.count"], 6);
});

Deno.test("event former: negative TOF falls back to the previous pulse; too large TOF is dropped", () => {
  const counters: Counters = {};
  const former = new EventFormer({ ...CONFIG, maxTofNs: 2 * PULSE_PERIOD_NS }, counters);
  const tofs = [-1000, -2 * PULSE_PERIOD_NS, 3 * PULSE_PERIOD_NS, 10];
  const p = buildPacket(former.family, HEADER, [1, 2, 3, 4], tofs, 0, 4).packet;
  const { data, lengths } = batch([p]);
  const out = former.form(1, data, lengths);
  assert.equal(out.count, 2);
  assert.deepEqual([...out.pixel.subarray(0, 2)], [1, 4]);
  assert.ok(Math.abs(out.tof[0] - (PULSE_PERIOD_NS - 1000)) <= 24);
  assert.equal(counters["events.timestamp.tof.negative"], 2);
  assert.equal(counters["events.timestamp.prevtof.count"], 1);
  assert.equal(counters["events.timestamp.prevtof.negative"], 1);
  assert.equal(counters["events.timestamp.tof.high"], 1);
  assert.equal(counters["events.timestamp.tof.count"], 1);
});

Deno.test("event former: garbage datagrams are counted, never thrown", () => {
  const counters: Counters = {};
  const former = new EventFormer(CONFIG, counters);
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12345) >>> 0) / 2 ** 32;
  const packets = [new Uint8Array(0), new Uint8Array(9000)];
  for (let i = 0; i < 200; i++) {
    packets.push(Uint8Array.from({ length: Math.floor(random() * 9000) }, () => random() * 256));
  }
  const good = buildPacket(former.family, HEADER, [1, 2], [5, 6], 0, 2).packet;
  for (let i = 0; i < 200; i++) {
    const p = good.slice();
    p[32 + Math.floor(random() * (p.length - 32))] = Math.floor(random() * 256);
    packets.push(p);
  }
  const { data, lengths } = batch(packets);
  const out = former.form(1, data, lengths);
  assert.ok(counters["parser.essheader.errors.header"] >= 202);
  assert.ok(out.count <= 400);
});
