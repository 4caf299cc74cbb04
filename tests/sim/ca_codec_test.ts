/**
 * The shared CA codec (`actors/common/ca/`): every DBR layout against libca's `dbr_value_offset`/`dbr_size` tables
 * (epics-protocols.md §1.12), encode → decode round trips with metadata, and message framing (extended headers,
 * streams cut at every byte, misaligned sizes rejected).
 */
import assert from "node:assert/strict";
import { CA_TYPES, type DbrMeta, dbrType, decodeDbr, encodeDbr, valueOffset } from "../../actors/common/ca/dbr.ts";
import {
  CaFrameError,
  CaStreamSplitter,
  encodeDbrMessage,
  encodeMessage,
  parseDatagram,
} from "../../actors/common/ca/messages.ts";

// [valueOffset, size(1)] for types 7..34, from the reference table
const TABLE: Record<number, [number, number]> = {
  7: [4, 44],
  8: [4, 6],
  9: [4, 8],
  10: [4, 6],
  11: [5, 6],
  12: [4, 8],
  13: [8, 16],
  14: [12, 52],
  15: [14, 16],
  16: [12, 16],
  17: [14, 16],
  18: [15, 16],
  19: [12, 16],
  20: [16, 24],
  21: [4, 44],
  22: [24, 26],
  23: [40, 44],
  24: [422, 424],
  25: [19, 20],
  26: [36, 40],
  27: [64, 72],
  28: [4, 44],
  29: [28, 30],
  30: [48, 52],
  31: [422, 424],
  32: [21, 22],
  33: [44, 48],
  34: [80, 88],
};
const SIZES = [40, 2, 4, 2, 1, 4, 8];

const META: DbrMeta = {
  status: 4,
  severity: 1,
  timestampNs: 1_700_000_000_123_456_789n,
  units: "K",
  precision: 3,
  limits: {
    upperDisp: 400,
    lowerDisp: 0,
    upperAlarm: 350,
    upperWarning: 320,
    lowerWarning: 10,
    lowerAlarm: 5,
    upperCtrl: 390,
    lowerCtrl: 1,
  },
  enumStrings: ["Closed", "Open"],
};

Deno.test("every DBR layout has libca's value offset and size", () => {
  for (const [n, [offset, size]] of Object.entries(TABLE)) {
    const type = CA_TYPES[Number(n) % 7];
    const cls = (["plain", "sts", "time", "gr", "ctrl"] as const)[Math.floor(Number(n) / 7)];
    assert.equal(valueOffset(type, cls), offset, `offset of DBR ${n}`);
    assert.equal(offset + SIZES[Number(n) % 7], size, `size of DBR ${n}`);
  }
});

Deno.test("DBRs round-trip values, alarm, time, units, precision, limits and enum strings", () => {
  for (let n = 0; n < 35; n++) {
    const type = CA_TYPES[n % 7];
    const values = type === "string" ? ["12.500"] : [type === "enum" ? 1 : 12];
    const bytes = encodeDbr(n, type === "string" ? "string" : "double", values, 1, META);
    assert.equal(bytes.length % 8, 0);
    const d = decodeDbr(n, 1, bytes);
    if (type === "string") assert.equal(d.values[0], "12.500");
    else assert.equal(d.values[0], values[0], `value of DBR ${n}`);
    if (d.cls !== "plain") assert.deepEqual([d.status, d.severity], [4, 1]);
    if (d.cls === "time") assert.equal(d.timestampNs, META.timestampNs);
    if ((d.cls === "gr" || d.cls === "ctrl") && type !== "string" && type !== "enum") {
      assert.equal(d.units, "K");
      assert.equal(d.limits?.upperAlarm, type === "char" ? 350 & 0xff : 350);
      assert.equal(d.limits?.lowerCtrl, d.cls === "ctrl" ? 1 : undefined);
      if (type === "double" || type === "float") assert.equal(d.precision, 3);
    }
    if ((d.cls === "gr" || d.cls === "ctrl") && type === "enum") assert.deepEqual(d.enumStrings, ["Closed", "Open"]);
  }
  // a double read as a string uses the precision; an enum read as a string is its state name
  assert.equal(decodeDbr(0, 1, encodeDbr(0, "double", [1.25], 1, META)).values[0], "1.250");
  assert.equal(decodeDbr(0, 1, encodeDbr(0, "enum", [1], 1, META)).values[0], "Open");
  // arrays: 1e5 doubles, count beyond the values zero-filled
  const big = Float64Array.from({ length: 100_000 }, (_, i) => i * 0.5);
  const bytes = encodeDbr(dbrType("double", "time"), "double", big, 100_002, META);
  const back = decodeDbr(20, 100_002, bytes).values as Float64Array;
  assert.deepEqual([back[99_999], back[100_001], back.length], [49_999.5, 0, 100_002]);
});

Deno.test("CA messages frame with extended headers, however the stream is cut, and reject misaligned sizes", () => {
  const small = encodeMessage(15, 20, 1, 7, 9, new Uint8Array(3));
  assert.equal(small.length, 24);
  const large = encodeMessage(1, 6, 100_000, 1, 2, new Uint8Array(800_000));
  assert.equal(large.length, 24 + 800_000);
  const stream = new Uint8Array([...small, ...large, ...small]);
  for (const cut of [1, 15, 17, 23, 24, 5000, stream.length - 1]) {
    const splitter = new CaStreamSplitter(1 << 20);
    const got: number[][] = [];
    const each = (m: { command: number; count: number; payload: Uint8Array }) =>
      got.push([m.command, m.count, m.payload.length]);
    splitter.push(stream.subarray(0, cut), each);
    splitter.push(stream.subarray(cut), each);
    assert.deepEqual(got, [[15, 1, 8], [1, 100_000, 800_000], [15, 1, 8]], `cut at ${cut}`);
  }
  for (const n of [1, 2048, 10_000]) {
    const values = Float64Array.from({ length: n }, (_, i) => i / 3);
    const one = encodeDbrMessage(1, 20, n, 1, 42, "double", values, META);
    assert.deepEqual(one, encodeMessage(1, 20, n, 1, 42, encodeDbr(20, "double", values, n, META)), `${n} doubles`);
  }
  const bad = encodeMessage(15, 20, 1, 7, 9);
  new DataView(bad.buffer).setUint16(2, 3);
  assert.throws(() => new CaStreamSplitter(1024).push(new Uint8Array([...bad, 0, 0, 0]), () => {}), CaFrameError);
  assert.throws(() => new CaStreamSplitter(1024).push(large, () => {}), CaFrameError);
  assert.throws(() => parseDatagram(small.subarray(0, 20)), CaFrameError);
});
