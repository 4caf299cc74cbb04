import assert from "node:assert/strict";
import { countersOf } from "../../actors/efu/counters.ts";
import { checkDetectorConfig, familyOf } from "../../actors/efu/detector_config.ts";
import type { Counters } from "../../actors/efu/counters.ts";
import type { FamilyInstance } from "../../actors/efu/families/registry.ts";

const BIFROST = checkDetectorConfig({ instrument: "bifrost", family: "caen" }, "test");
const MONITORS = checkDetectorConfig({
  instrument: "amor",
  family: "cbm",
  geometry: {
    monitors: [
      { ring: 0, fen: 0, channel: 0, kind: "0D", source: "m0", offset: 7 },
      { ring: 1, fen: 2, channel: 3, kind: "2D", source: "m2d", offset: 100, width: 32, height: 16 },
      { ring: 2, fen: 0, channel: 1, kind: "IBM", source: "ibm", normalise: true },
    ],
  },
}, "test");

function parseAll(f: FamilyInstance, readouts: Uint8Array) {
  const counters: Counters = countersOf(f.counterNames);
  const events: [number, number, number, number][] = [];
  f.parse(readouts, new DataView(readouts.buffer), 0, counters, (s, h, l, p) => events.push([s, h, l, p]));
  return { counters, events };
}

function readouts(f: FamilyInstance, pixels: number[]): Uint8Array {
  const bytes = new Uint8Array(pixels.length * f.readoutBytes);
  const view = new DataView(bytes.buffer);
  pixels.forEach((p, i) => assert.ok(f.write(view, i * f.readoutBytes, p, 5, 100 + i), `pixel ${p}`));
  return bytes;
}

Deno.test("caen/bifrost: generated readouts map back to their pixel ids and per-triplet sources", () => {
  const f = familyOf(BIFROST);
  assert.equal(f.sources.length, 45);
  const pixels = [1, 2, 50, 99, 101, 299, 301, 898, 900 * 14 + 1, 900 * 15 - 2, 4321];
  const { events, counters } = parseAll(f, readouts(f, pixels));
  assert.deepEqual(events.map((e) => e[3]), pixels);
  assert.deepEqual(events.map((e) => e[2]), pixels.map((_, i) => 100 + i));
  assert.equal(counters["parser.readout.count"], pixels.length);
  assert.equal(f.sources[events[6][0]], "arc=0;triplet=3");
  assert.equal(f.write(new DataView(new ArrayBuffer(24)), 0, 100, 0, 0), false, "x position 99 is unreachable");
});

Deno.test("caen/bifrost: bad readouts are counted; size errors stop the packet, geometry errors skip the readout", () => {
  const f = familyOf(BIFROST);
  const good = readouts(f, [10, 20, 30, 40, 50]);
  const v = new DataView(good.buffer);
  v.setUint16(24 + 16, 0, true);
  v.setUint16(24 + 18, 0, true); // A + B = 0
  good[48] = 2 * 3; // ring 3 > maxRing
  good[72 + 13] = 15; // group 15
  const r = parseAll(f, good);
  assert.deepEqual(r.events.map((e) => e[3]), [10, 50]);
  assert.equal(r.counters["readouts.amplitude_zero"], 1);
  assert.equal(r.counters["geometry.ring_errors"], 1);
  assert.equal(r.counters["geometry.topology_errors"], 1);
  const bad = readouts(f, [10, 20, 30]);
  new DataView(bad.buffer).setUint16(24 + 2, 20, true);
  const s = parseAll(f, bad);
  assert.deepEqual(s.events.map((e) => e[3]), [10]);
  assert.equal(s.counters["parser.readout.error_datlen_invalid"], 1);
  const cut = parseAll(f, readouts(f, [10, 20]).subarray(0, 40));
  assert.equal(cut.events.length, 1);
  assert.equal(cut.counters["parser.readout.error_datlen_mismatch"], 1);
  const fen = readouts(f, [10]);
  fen[1] = 24;
  assert.equal(parseAll(f, fen).counters["parser.readout.error_ringfen"], 1);
  const amp = readouts(f, [10]);
  new DataView(amp.buffer).setUint16(16, 40000, true);
  assert.equal(parseAll(f, amp).counters["parser.readout.error_maxadc"], 1);
});

Deno.test("cbm: 0D, 2D and IBM readouts give offset, 2D pixel and normalised ADC", () => {
  const f = familyOf(MONITORS);
  assert.deepEqual(f.sources, ["m0", "m2d", "ibm"]);
  const bytes = readouts(f, [7, 101, 100 + 32 * 16, 100 + 33]);
  const ibm = new Uint8Array(20);
  const v = new DataView(ibm.buffer);
  ibm[0] = 4;
  v.setUint16(2, 20, true);
  ibm[12] = 3;
  ibm[13] = 1;
  v.setUint32(16, 9000 | (3 << 24), true);
  const all = new Uint8Array([...bytes, ...ibm]);
  const { events } = parseAll(f, all);
  assert.deepEqual(events.map((e) => [e[0], e[3]]), [[0, 7], [1, 101], [1, 612], [1, 133], [2, 3000]]);
});

Deno.test("cbm: wrong payload size parses nothing; unknown monitor and wrong type are counted and skipped", () => {
  const f = familyOf(MONITORS);
  const r = parseAll(f, new Uint8Array(30));
  assert.equal(r.counters["parser.readout.error_size"], 1);
  const bytes = readouts(f, [7, 7, 7]);
  bytes[13] = 9; // unknown channel
  bytes[20 + 12] = 2; // 2D type on a 0D monitor
  const s = parseAll(f, bytes);
  assert.equal(s.events.length, 1);
  assert.equal(s.counters["geometry.topology_errors"], 1);
  assert.equal(s.counters["parser.readout.error_type"], 1);
});

Deno.test("detector config: mistakes stop the start with the field named", () => {
  assert.throws(() => checkDetectorConfig({ instrument: "x", family: "nope" }, "d"), /d.family/);
  assert.throws(() => checkDetectorConfig({ instrument: "x", family: "caen", maxTofNs: 2 ** 32 }, "d"), /maxTofNs/);
  assert.throws(
    () => checkDetectorConfig({ instrument: "x", family: "caen", geometry: { intervals: [[0, 2]] } }, "d"),
    /d.geometry.intervals/,
  );
  assert.throws(
    () => checkDetectorConfig({ instrument: "x", family: "cbm", geometry: { monitors: [{ kind: "3D" }] } }, "d"),
    /monitors\[0\]/,
  );
  assert.throws(() => checkDetectorConfig({ instrument: "x", family: "caen", color: 1 }, "d"), /d.color/);
});
