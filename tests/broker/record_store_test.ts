import assert from "node:assert/strict";
import { RecordStore, recordStoreMemory } from "../../actors/broker/record_store.ts";

const record = (n: number, size = 10) => ({ topic: "t", value: new Uint8Array(size).fill(n), timestampMs: 1000 + n });
const values = (s: RecordStore) => [...s.kept()].map(({ record }) => record.value[0]);

Deno.test("record store: a successor sees the records not released, oldest first, with topic and timestamp", () => {
  const memory = recordStoreMemory(1000, 8);
  const first = new RecordStore(memory);
  const slots = [1, 2, 3, 4].map((n) => first.add(record(n)));
  assert.ok(slots.every((s) => s >= 0));
  first.release(slots[1]);
  first.release(slots[0]);
  const successor = new RecordStore(memory);
  assert.deepEqual(values(successor), [3, 4]);
  const [kept] = successor.kept();
  assert.deepEqual(kept.record, { topic: "t", value: new Uint8Array(10).fill(3), timestampMs: 1003 });
  assert.throws(() => new RecordStore(new SharedArrayBuffer(64)), RangeError);
});

Deno.test("record store: space comes back from the oldest end; a record held long keeps the space after it", () => {
  const s = new RecordStore(recordStoreMemory(100, 8));
  const a = s.add(record(1, 40));
  const b = s.add(record(2, 40));
  assert.equal(s.add(record(3, 40)), -1, "no room: 81 of 100 bytes would be past the oldest");
  s.release(b);
  assert.equal(s.add(record(3, 40)), -1, "b is free but a, before it, is not");
  s.release(a);
  const c = s.add(record(3, 40));
  assert.ok(c >= 0, "both free: the ring goes on");
  const d = s.add(record(4, 40));
  assert.ok(d >= 0, "d goes to the start of the next lap rather than wrap");
  assert.deepEqual(values(s), [3, 4]);
  assert.equal(s.add(record(5, 101)), -1, "larger than the store");
});

Deno.test("record store: slots are bounded; a record with a key, partition or headers is not kept", () => {
  const s = new RecordStore(recordStoreMemory(1000, 2));
  const a = s.add(record(1));
  assert.ok(s.add(record(2)) >= 0);
  assert.equal(s.add(record(3)), -1, "two slots");
  s.release(a);
  assert.ok(s.add(record(3)) >= 0);
  assert.equal(new RecordStore(recordStoreMemory(1000)).add({ ...record(1), key: "k" }), -1);
  assert.equal(new RecordStore(recordStoreMemory(1000)).add({ ...record(1), partition: 0 }), -1);
});
