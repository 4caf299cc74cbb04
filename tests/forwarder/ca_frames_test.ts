/**
 * The CA event frames (`ca_frames.ts`) as the native queue writes them: decoding of each CA type, EPICS time and
 * alarm, scalars against arrays, and splitting a stream cut at every byte into the same frames.
 */
import assert from "node:assert/strict";
import { decodeFrame, type Frame, FrameSplitter } from "../../actors/forwarder/ca_frames.ts";

const EPICS_EPOCH_S = 631_152_000;

/** A frame as `ca_queue.c` writes it: header, then a `dbr_time_<type>` with values from `valueAt`. */
function updateFrame(id: number, typeIndex: number, count: number, valueAt: number, values: Uint8Array): Uint8Array {
  const dbr = new Uint8Array(valueAt + values.byteLength);
  const d = new DataView(dbr.buffer);
  d.setInt16(0, 4, true); // status HIGH
  d.setInt16(2, 1, true); // severity MINOR
  d.setUint32(4, 1_700_000_000 - EPICS_EPOCH_S, true);
  d.setUint32(8, 123_456_789, true);
  dbr.set(values, valueAt);
  const frame = new Uint8Array(15 + dbr.byteLength);
  const f = new DataView(frame.buffer);
  f.setUint32(0, frame.byteLength - 4, true);
  frame[4] = 2;
  f.setUint32(5, id, true);
  frame[9] = typeIndex;
  f.setUint32(11, count, true);
  frame.set(dbr, 15);
  return frame;
}

function connectionFrame(id: number, connected: boolean): Uint8Array {
  const frame = new Uint8Array(10);
  new DataView(frame.buffer).setUint32(0, 6, true);
  frame[4] = 1;
  new DataView(frame.buffer).setUint32(5, id, true);
  frame[9] = connected ? 1 : 0;
  return frame;
}

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const text = (s: string) => {
  const b = new Uint8Array(40);
  b.set(new TextEncoder().encode(s));
  return b;
};

Deno.test("CA frames decode every type, time, alarm and array, however the stream is cut", () => {
  const frames = [
    connectionFrame(7, true),
    updateFrame(7, 6, 1, 16, bytes(new Float64Array([3.5]))),
    updateFrame(8, 6, 3, 16, bytes(new Float64Array([1, 2, 3]))),
    updateFrame(9, 5, 1, 12, bytes(new Int32Array([-5]))),
    updateFrame(10, 0, 1, 12, text("hello")),
    updateFrame(11, 1, 2, 14, bytes(new Int16Array([-1, 2]))),
    updateFrame(12, 3, 1, 14, bytes(new Uint16Array([2]))),
    updateFrame(13, 4, 1, 15, new Uint8Array([200])),
    updateFrame(14, 2, 1, 12, bytes(new Float32Array([0.5]))),
    connectionFrame(7, false),
  ];
  const stream = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0));
  let at = 0;
  for (const f of frames) {
    stream.set(f, at);
    at += f.byteLength;
  }

  const whole: Frame[] = [];
  new FrameSplitter().push(stream, (f) => whole.push(decodeFrame(f)));
  assert.equal(whole.length, frames.length);
  assert.deepEqual(whole[0], { kind: "connection", id: 7, connected: true });
  assert.deepEqual(whole.at(-1), { kind: "connection", id: 7, connected: false });
  const update = (i: number) => (whole[i] as Extract<Frame, { kind: "update" }>).update;
  assert.deepEqual(update(1), {
    type: "double",
    array: false,
    value: 3.5,
    severity: 1,
    status: 4,
    timestampNs: 1_700_000_000_123_456_789n,
  });
  assert.deepEqual(update(2).value, new Float64Array([1, 2, 3]));
  assert.equal(update(2).array, true);
  assert.deepEqual([update(3).type, update(3).value], ["long", -5]);
  assert.deepEqual([update(4).type, update(4).value], ["string", "hello"]);
  assert.deepEqual(update(5).value, new Int16Array([-1, 2]));
  assert.deepEqual([update(6).type, update(6).value], ["enum", 2]);
  assert.deepEqual([update(7).type, update(7).value], ["char", 200]);
  assert.deepEqual([update(8).type, update(8).value], ["float", 0.5]);

  for (let cut = 1; cut < stream.byteLength; cut++) {
    const got: Frame[] = [];
    const splitter = new FrameSplitter();
    splitter.push(stream.slice(0, cut), (f) => got.push(decodeFrame(f)));
    splitter.push(stream.slice(cut), (f) => got.push(decodeFrame(f)));
    assert.deepEqual(got, whole, `cut at byte ${cut}`);
  }
});
