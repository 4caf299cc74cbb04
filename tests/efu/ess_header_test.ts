import assert from "node:assert/strict";
import { countersOf } from "../../actors/efu/counters.ts";
import {
  EssHeaderParser,
  HEADER_COUNTERS,
  MAX_TICKS,
  type SequenceGap,
  sequenceStore,
  tofNs,
} from "../../actors/efu/ess_header.ts";
import { type PacketHeader, writeHeader } from "../../actors/efu/readout_packets.ts";

const BASE: PacketHeader = {
  version: 1,
  type: 0x34,
  outputQueue: 0,
  timeSource: 0,
  seq: 0,
  pulseHigh: 1_700_000_000,
  pulseLow: 1000,
  prevPulseHigh: 1_699_999_999,
  prevPulseLow: 81_763_750,
};

function packet(h: Partial<PacketHeader>, payload = 0): Uint8Array {
  const full = { ...BASE, ...h };
  const bytes = new Uint8Array((full.version === 0 ? 30 : 32) + payload);
  writeHeader(new DataView(bytes.buffer), full, bytes.length);
  return bytes;
}

function parser() {
  const counters = countersOf(HEADER_COUNTERS);
  return { counters, p: new EssHeaderParser({ type: 0x34, maxPulseTimeDiffNs: 357_142_855 }, counters) };
}

Deno.test("ess header: v0 and v1 headers parse with their data offsets; header-only packets are heartbeats", () => {
  const { p, counters } = parser();
  const v1 = p.parse(packet({ seq: 0 }, 24));
  assert.equal(v1?.dataOffset, 32);
  assert.equal(v1?.pulseHigh, BASE.pulseHigh);
  const v0 = p.parse(packet({ version: 0, seq: 1 }));
  assert.equal(v0?.dataOffset, 30);
  assert.equal(counters["parser.essheader.version.v0"], 1);
  assert.equal(counters["parser.essheader.version.v1"], 1);
  assert.equal(counters["parser.essheader.heartbeats"], 1);
  assert.equal(counters["parser.essheader.OQ.00.packets"], 2);
  assert.equal(counters["parser.essheader.errors.header"], 0);
});

Deno.test("ess header: every check rejects with its own counter", () => {
  const cases: [string, Uint8Array][] = [
    [
      "pad",
      (() => {
        const b = packet({});
        b[0] = 1;
        return b;
      })(),
    ],
    [
      "version",
      (() => {
        const b = packet({});
        b[1] = 2;
        return b;
      })(),
    ],
    [
      "cookie",
      (() => {
        const b = packet({});
        b[3] = 0x41;
        return b;
      })(),
    ],
    ["type", packet({ type: 0x30 })],
    ["size", packet({}).subarray(0, 20)],
    ["size", new Uint8Array(4)],
    ["size", new Uint8Array(9000)],
    ["output_queue", packet({ outputQueue: 12 })],
    ["timing", packet({ timeSource: 0b10 })],
    ["time_status", packet({ timeSource: 0b1000 })],
    ["even_fibre_sync", packet({ timeSource: 0b10_0001 })],
    ["odd_fibre_sync", packet({ timeSource: 0b1000_0001 })],
    ["timefrac", packet({ pulseLow: MAX_TICKS + 1 })],
    ["timefrac", packet({ prevPulseLow: MAX_TICKS + 1 })],
    ["timehigh", packet({ prevPulseHigh: BASE.pulseHigh - 1, prevPulseLow: 0 })],
  ];
  for (const [reason, bytes] of cases) {
    const { p, counters } = parser();
    assert.equal(p.parse(bytes), null, reason);
    assert.equal(counters[`parser.essheader.errors.${reason}`], 1, reason);
    assert.equal(counters["parser.essheader.errors.header"], 1, reason);
  }
  const { p } = parser();
  const b = packet({});
  new DataView(b.buffer).setUint16(6, b.length - 1, true);
  assert.equal(p.parse(b), null, "length field differs from datagram size");
});

Deno.test("ess header: a sequence gap is counted per output queue but the packet is still processed", () => {
  const { p, counters } = parser();
  assert.ok(p.parse(packet({ seq: 0 })));
  assert.ok(p.parse(packet({ seq: 1 })));
  assert.ok(p.parse(packet({ seq: 5 })));
  assert.ok(p.parse(packet({ seq: 6 })));
  assert.ok(p.parse(packet({ seq: 0, outputQueue: 3 })));
  assert.ok(p.parse(packet({ seq: 7, outputQueue: 3 })));
  assert.equal(counters["parser.essheader.errors.seqno"], 2);
  assert.equal(counters["parser.essheader.missed_packets"], 3 + 6, "2, 3, 4 of queue 0; 1 to 6 of queue 3");
  assert.equal(counters["parser.essheader.OQ.03.packets"], 2);
  const first = parser();
  assert.ok(first.p.parse(packet({ seq: 9 })));
  assert.equal(first.counters["parser.essheader.errors.seqno"], 1, "first packet not numbered 0");
  assert.equal(first.counters["parser.essheader.missed_packets"], 0, "nothing known to be missed before the first");
});

Deno.test("ess header: a parser on the sequence store of a predecessor (a restart) goes on from its sequence", () => {
  const sequences = sequenceStore();
  const counters = countersOf(HEADER_COUNTERS);
  const config = { type: 0x34, maxPulseTimeDiffNs: 357_142_855 };
  const before = new EssHeaderParser(config, counters, sequences);
  for (let seq = 0; seq < 5; seq++) assert.ok(before.parse(packet({ seq, outputQueue: 2 })));
  const gaps: SequenceGap[] = [];
  const after = new EssHeaderParser(config, counters, sequences, (g) => gaps.push(g));
  assert.ok(after.parse(packet({ seq: 5, outputQueue: 2 })));
  assert.equal(counters["parser.essheader.errors.seqno"], 0, "no gap: nothing lost in the restart");
  assert.ok(after.parse(packet({ seq: 9, outputQueue: 2 })));
  assert.equal(counters["parser.essheader.errors.seqno"], 1, "a real gap still counts");
  assert.equal(counters["parser.essheader.missed_packets"], 3);
  assert.deepEqual(gaps.map((g) => [g.outputQueue, g.first, g.count]), [[2, 6, 3]]);
  assert.ok(after.parse(packet({ seq: 0, outputQueue: 2 })), "the sender restarted");
  assert.equal(counters["parser.essheader.errors.seqno"], 2);
  assert.equal(counters["parser.essheader.missed_packets"], 3, "a restarted sender's jump back is no datagram missed");
});

Deno.test("ess header: time of flight converts ticks of the 88.0525 MHz clock", () => {
  assert.equal(tofNs(10, 88_052_500 / 2, 10, 0), 500_000_000);
  assert.equal(tofNs(11, 0, 10, 0), 1_000_000_000);
  assert.ok(tofNs(10, 0, 10, 1) < 0);
});
