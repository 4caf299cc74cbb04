import assert from "node:assert/strict";
import { FlowWindow, HandledMark, handledStore } from "../../actors/efu/flow_window.ts";

const batch = (n: number) => ({ from: 0, seq: 0, n });

Deno.test("flow window: bounds the bytes kept and reports batches skipped by an acknowledgement as lost", () => {
  const w = new FlowWindow<{ from: number; seq: number; n: number }>(100);
  const a = w.sent(40, 4, batch(1));
  const b = w.sent(40, 5, batch(2));
  assert.equal(w.fits(30), false);
  const c = w.sent(10, 6, batch(3));
  assert.ok(a.seq < b.seq && b.seq < c.seq, "numbered in order");
  assert.equal(w.done(a.seq), 0);
  assert.equal(w.bytes, 50);
  assert.equal(w.done(c.seq), 5, "batch b was never acknowledged: lost");
  assert.equal(w.bytes, 0);
  assert.equal(w.done(b.seq), 0, "a late acknowledgement settles nothing");
  assert.throws(() => new FlowWindow(0), RangeError);
});

Deno.test("flow window: keeps every batch not yet acknowledged, oldest first, for a restarted peer", () => {
  const w = new FlowWindow<{ from: number; seq: number; n: number }>(1000);
  const sent = [1, 2, 3, 4].map((n) => w.sent(10, 1, batch(n)));
  w.done(sent[1].seq);
  assert.deepEqual([...w.unsettled()].map((m) => m.n), [3, 4]);
  w.done(sent[3].seq);
  assert.deepEqual([...w.unsettled()], []);
});

Deno.test("flow window: a new incarnation's numbers start above the old one's, so old acknowledgements settle nothing", async () => {
  const old = new FlowWindow<{ from: number; seq: number; n: number }>(1000);
  const late = old.sent(10, 1, batch(1));
  await new Promise((r) => setTimeout(r, 5)); // a restart takes far longer than this
  const fresh = new FlowWindow<{ from: number; seq: number; n: number }>(1000);
  const next = fresh.sent(10, 1, batch(2));
  assert.equal(fresh.done(late.seq), 0);
  assert.equal(fresh.bytes, 10);
  assert.ok(next.seq > late.seq);
});

Deno.test("handled mark: a batch re-sent to a receiver's successor is handled once", () => {
  const store = handledStore();
  const first = new HandledMark(store);
  assert.equal(first.take({ from: 10, seq: 10 }), true);
  assert.equal(first.take({ from: 10, seq: 11 }), true);
  const successor = new HandledMark(store);
  assert.equal(successor.take({ from: 10, seq: 10 }), false, "handled by the predecessor");
  assert.equal(successor.take({ from: 10, seq: 11 }), false);
  assert.equal(successor.take({ from: 10, seq: 12 }), true);
  assert.equal(successor.take({ from: 10, seq: 12 }), false);
});

Deno.test("handled mark: the last batches of a crashed sender, arriving after its successor's first, are handled", () => {
  const mark = new HandledMark();
  assert.equal(mark.take({ from: 1000, seq: 1005 }), true);
  assert.equal(mark.take({ from: 2000, seq: 2000 }), true, "the successor's first batch");
  assert.equal(mark.take({ from: 1000, seq: 1006 }), true, "the predecessor's last, still in flight");
  assert.equal(mark.take({ from: 1000, seq: 1006 }), false);
  for (let i = 1; i <= 16; i++) assert.equal(mark.take({ from: 2000 + i * 1000, seq: 2000 + i * 1000 }), true);
  assert.equal(mark.take({ from: 1000, seq: 1006 }), true, "16 incarnations later the oldest is forgotten");
  assert.throws(() => new HandledMark(new SharedArrayBuffer(8)), RangeError);
});
