/**
 * The pvAccess codec as pure logic (`actors/forwarder/pva/`): byte layouts captured from real servers (reference
 * `epics-protocols.md` §2.3–2.9), partial updates, segmentation, and a fuzz of every decoder: random and mutated
 * input may only ever raise PvaDecodeError.
 */
import assert from "node:assert/strict";
import { decodeSearchResponse, monitorRequest } from "../../actors/forwarder/pva/messages.ts";
import {
  type FieldDesc,
  type PvStructure,
  readFieldDesc,
  readPartial,
  readValue,
  type TypeCache,
  writeRequestType,
} from "../../actors/forwarder/pva/types.ts";
import { toUpdate } from "../../actors/forwarder/pva/normative.ts";
import { concat, FrameSplitter, PvaDecodeError, PvaReader, PvaWriter } from "../../actors/forwarder/pva/wire.ts";

const te = new TextEncoder();
/** Bytes from numbers and strings (a string is written as its pvData Size + UTF-8). */
function bytes(...parts: (number | string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") out.push(p.length, ...te.encode(p));
    else out.push(...p);
  }
  return new Uint8Array(out);
}

Deno.test("pva BitSet: the captured examples", () => {
  const cases: [number[], number[]][] = [[[0], []], [[1, 1], [0]], [[1, 2], [1]], [[2, 0, 1], [8]], [[2, 0x82, 3], [
    1,
    7,
    8,
    9,
  ]]];
  for (const [raw, bits] of cases) {
    const set = new PvaReader(new Uint8Array(raw), true).bitSet();
    const got = [];
    for (let i = 0; i < set.length * 8; i++) if (set[i >> 3] & (1 << (i & 7))) got.push(i);
    assert.deepEqual(got, bits);
  }
  // big-endian: a full 8-byte word is a u64 in message order
  const be = new PvaReader(new Uint8Array([8, 0, 0, 0, 0, 0, 0, 1, 0x02]), false).bitSet();
  assert.equal(be[0], 0x02);
});

Deno.test("pva types: time_t as pvxs sends it, the 0xFD/0xFE cache, and a captured pvRequest", () => {
  const timeT = bytes(0x80, "time_t", 3, "secondsPastEpoch", 0x23, "nanoseconds", 0x22, "userTag", 0x22);
  const cache: TypeCache = new Map();
  const t = readFieldDesc(new PvaReader(timeT, true), cache)!;
  assert.equal(t.kind, "structure");
  assert.deepEqual((t as { members: { name: string }[] }).members.map((m) => m.name), [
    "secondsPastEpoch",
    "nanoseconds",
    "userTag",
  ]);
  readFieldDesc(new PvaReader(concat([bytes(0xfd, 1, 0), timeT]), true), cache);
  assert.deepEqual(readFieldDesc(new PvaReader(bytes(0xfe, 1, 0), true), cache), t);
  assert.throws(() => readFieldDesc(new PvaReader(bytes(0xfe, 9, 0), true), cache), PvaDecodeError);
  const w = new PvaWriter(true);
  writeRequestType(w, { field: { value: {}, alarm: {}, timeStamp: {} } });
  assert.deepEqual(
    w.done(),
    bytes(0x80, 0, 1, "field", 0x80, 0, 3, "value", 0x80, 0, 0, "alarm", 0x80, 0, 0, "timeStamp", 0x80, 0, 0),
  );
  assert.ok(monitorRequest(4).record);
});

/** NTScalar double with alarm and timeStamp (bits: 0 root, 1 value, 2 alarm, 3-5, 6 timeStamp, 7-9). */
const NT_SCALAR = bytes(
  0x80,
  "epics:nt/NTScalar:1.0",
  3,
  "value",
  0x43,
  "alarm",
  [0x80, 0, 3],
  "severity",
  0x22,
  "status",
  0x22,
  "message",
  0x60,
  "timeStamp",
  [0x80, 0, 3],
  "secondsPastEpoch",
  0x23,
  "nanoseconds",
  0x22,
  "userTag",
  0x22,
);

Deno.test("pva partial updates merge into the cached value (pvxs leaf bits and a whole sub-structure)", () => {
  const cache: TypeCache = new Map();
  const t = readFieldDesc(new PvaReader(NT_SCALAR, true), cache) as FieldDesc & { kind: "structure" };
  assert.equal(t.bits, 10);
  const w = new PvaWriter(true);
  const f64 = new Uint8Array(new Float64Array([2.5]).buffer);
  const i64 = new Uint8Array(new BigInt64Array([1_700_000_000n]).buffer);
  const i32 = (n: number) => [...new Uint8Array(new Int32Array([n]).buffer)];
  // bits {1, 2, 6}: value, the whole alarm, the whole timeStamp
  w.bytes(bytes(1, 0x46)).bytes(f64).bytes(new Uint8Array([...i32(2), ...i32(1)])).string("HIHI");
  w.bytes(i64).bytes(new Uint8Array([...i32(5), ...i32(0)]));
  const value: PvStructure = {};
  const r = new PvaReader(w.done(), true);
  readPartial(r, t, r.bitSet(), value, cache);
  assert.equal(r.remaining, 0);
  const u = toUpdate("PV", t, value);
  assert.deepEqual([u.value, u.severity, u.status, u.message, u.timestampNs], [
    2.5,
    2,
    1,
    "HIHI",
    1_700_000_000_000_000_005n,
  ]);
  // bits {1, 8}: only value and nanoseconds change
  const w2 = new PvaWriter(true).bytes(bytes(2, 0x02, 0x01)).bytes(new Uint8Array(new Float64Array([3.5]).buffer));
  w2.bytes(new Uint8Array(i32(7)));
  const r2 = new PvaReader(w2.done(), true);
  readPartial(r2, t, r2.bitSet(), value, cache);
  assert.equal(r2.remaining, 0);
  const u2 = toUpdate("PV", t, value);
  assert.deepEqual([u2.value, u2.message, u2.timestampNs], [3.5, "HIHI", 1_700_000_000_000_000_007n]);
});

Deno.test("pva search response as pvxs sends it (big-endian, zero address)", () => {
  const guid = [0x94, 0x87, 0xc2, 0x46, 0xc9, 0xf3, 0x3c, 0xb4, 0x1d, 0x2e, 0x4a, 0xde];
  const payload = bytes(guid, [0x66, 0x69, 0x6e, 0x64], new Array(10).fill(0), [0xff, 0xff, 0, 0, 0, 0], [0x61, 0xf3]);
  const rest = bytes("tcp", 1, [0, 1, 0x12, 0x34, 0x56, 0x78]);
  const body = concat([payload, rest]);
  const header = bytes(0xca, 2, 0xc0, 4, [0, 0, 0, body.length]);
  assert.deepEqual(decodeSearchResponse(concat([header, body])), { host: null, port: 0x61f3, ids: [0x12345678] });
});

Deno.test("pva frames: split anywhere, segments re-assembled with a control message between them", () => {
  const seg = (flags: number, payload: number[]) =>
    bytes(0xca, 2, 0x40 | flags, 0x0d, [payload.length, 0, 0, 0], payload);
  const stream = concat([
    bytes(0xca, 2, 0x41, 2, [0, 0, 0, 0]), // set byte order (control, no payload)
    seg(0x10, [1, 2]),
    bytes(0xca, 2, 0x41, 3, [9, 9, 9, 9]), // echo request (control) between segments
    seg(0x30, [3]),
    seg(0x20, [4, 5]),
    seg(0, [6]),
  ]);
  for (const cut of [1, 3, 8, 9, 13, stream.length - 1]) {
    const s = new FrameSplitter();
    const frames = [...s.push(stream.subarray(0, cut)), ...s.push(stream.subarray(cut))];
    assert.deepEqual(frames.map((f) => [f.control, f.command, [...f.payload]]), [
      [true, 2, []],
      [true, 3, []],
      [false, 0x0d, [1, 2, 3, 4, 5]],
      [false, 0x0d, [6]],
    ]);
  }
  assert.throws(() => new FrameSplitter().push(bytes(0xcb, 2, 0, 0, [0, 0, 0, 0])), PvaDecodeError);
  assert.throws(() => new FrameSplitter().push(seg(0x20, [1])), PvaDecodeError);
});

/** A deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0) / 2 ** 32;
  };
}

function onlyDecodeErrors(what: string, input: Uint8Array, run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof PvaDecodeError)) {
      throw new Error(`${what} threw ${error} on ${Array.from(input.subarray(0, 64)).join(",")}`);
    }
  }
}

Deno.test("pva fuzz: mutated types, values, updates, frames and datagrams only ever raise PvaDecodeError", () => {
  const rand = rng(20261205);
  const seeds = [NT_SCALAR, bytes(0x88, 0x80, "t", 1, "a", 0x4b), bytes(0x81, "u", 2, "x", 0x22, "y", 0x68)];
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    const base = seeds[i % seeds.length];
    const input = rand() < 0.2
      ? new Uint8Array(Math.floor(rand() * 64)).map(() => rand() * 256)
      : base.map((b) => (rand() < 0.05 ? rand() * 256 : b));
    const cut = input.subarray(0, Math.floor(rand() * (input.length + 1)));
    onlyDecodeErrors("type+value", cut, () => {
      const cache: TypeCache = new Map();
      const r = new PvaReader(cut, rand() < 0.5);
      const t = readFieldDesc(r, cache);
      if (!t) return;
      decoded++;
      const tail = new Uint8Array(Math.floor(rand() * 48)).map(() => rand() * 256);
      onlyDecodeErrors("value", tail, () => readValue(new PvaReader(tail, true), t, cache));
      if (t.kind === "structure") {
        onlyDecodeErrors("partial", tail, () => {
          const pr = new PvaReader(tail, false);
          readPartial(pr, t, pr.bitSet(), {}, cache);
        });
      }
    });
    onlyDecodeErrors("frames", cut, () => new FrameSplitter().push(cut));
    const datagram = concat([bytes(0xca, 2, rand() < 0.5 ? 0xc0 : 0x40, 4, [0, 0, 0, 0]), cut]);
    onlyDecodeErrors("search", datagram, () => decodeSearchResponse(datagram));
  }
  assert.ok(decoded > 1000, `only ${decoded} mutated types decoded: the fuzz does not reach the value decoders`);
});
