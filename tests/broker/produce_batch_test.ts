import assert from "node:assert/strict";
import { chunksWithin, type Pending } from "../../actors/broker/produce_batch.ts";

function pending(sizes: number[]): Pending[] {
  return sizes.map((n, id) => ({ id, record: { topic: "t", value: new Uint8Array(n) }, partition: 0 }));
}

Deno.test("chunksWithin keeps order and cuts runs that fit the limit", () => {
  const chunks = chunksWithin(pending([100, 100, 100, 100, 100]), 128 + 2 * (100 + 64));
  assert.deepEqual(chunks.map((c) => c.map((p) => p.id)), [[0, 1], [2, 3], [4]]);
});

Deno.test("chunksWithin gives a record too large for the limit a run of its own", () => {
  const chunks = chunksWithin(pending([10, 5000, 10]), 1000);
  assert.deepEqual(chunks.map((c) => c.map((p) => p.id)), [[0], [1], [2]]);
});

Deno.test("chunksWithin counts keys and headers", () => {
  const records = pending([100, 100]);
  records[0].record.key = new Uint8Array(100);
  assert.equal(chunksWithin(records, 128 + 2 * (100 + 64)).length, 2);
  assert.equal(chunksWithin(pending([100, 100]), 128 + 2 * (100 + 64)).length, 1);
});
