import assert from "node:assert/strict";
import { transferablesOf } from "../../actors/runtime/transfer.ts";
import type { RecorderProtocol } from "../_fixtures/protocols.ts";
import { RECORDER, startRecorded, waitFor } from "../_harness/runtime.ts";

Deno.test("transferablesOf() finds buffers behind views, in arrays and nested objects, once each", () => {
  const a = new Uint32Array(4);
  const b = new ArrayBuffer(8);
  const shared = new SharedArrayBuffer(8);
  const msg = { type: "x", a, again: new Uint8Array(a.buffer), nested: { list: [b, 1, "s"] }, shared, n: 3 };
  const found = transferablesOf(msg);
  assert.equal(found.length, 2);
  assert.ok(found.includes(a.buffer as ArrayBuffer));
  assert.ok(found.includes(b));
});

Deno.test("transferablesOf() skips empty and already detached buffers", () => {
  const b = new ArrayBuffer(8);
  structuredClone(b, { transfer: [b] });
  assert.deepEqual(transferablesOf({ b, empty: new ArrayBuffer(0) }), []);
});

Deno.test("a sent buffer arrives intact in the actor and is detached at the sender", async () => {
  const { system } = await startRecorded({ id: "root", children: [{ id: "rec", module: RECORDER }] });
  try {
    const rec = system.ref<RecorderProtocol>("rec");
    const blobs: { bytes: number; sum: number }[] = [];
    rec.onEmit((m) => m.type === "blob" && blobs.push(m));
    const data = new Uint8Array(1 << 20).map((_, i) => i % 251);
    const expected = data.reduce((s, v) => s + v, 0);
    rec.send({ type: "blob", data });
    assert.equal(data.byteLength, 0, "the sender's view is detached");
    const got = await waitFor("the blob notice", () => blobs[0]);
    assert.deepEqual(got, { type: "blob", bytes: 1 << 20, sum: expected });
  } finally {
    await system.stop();
  }
});

Deno.test("a buffer returned by a request is transferred back intact", async () => {
  const { system } = await startRecorded({ id: "root", children: [{ id: "rec", module: RECORDER }] });
  try {
    const rec = system.ref<RecorderProtocol>("rec");
    const data = new Float64Array([1.5, -2, 1e300]);
    const back = await rec.request("echoBlob", new Uint8Array(data.buffer));
    assert.equal(data.byteLength, 0);
    assert.deepEqual([...new Float64Array(back.buffer, back.byteOffset, 3)], [1.5, -2, 1e300]);
  } finally {
    await system.stop();
  }
});
