import assert from "node:assert/strict";
import { FlowWindow } from "../../actors/efu/flow_window.ts";

Deno.test("flow window: bounds bytes in flight and reports batches skipped by an acknowledgement as lost", () => {
  const w = new FlowWindow(100);
  const a = w.sent(40, 4);
  const b = w.sent(40, 5);
  assert.equal(w.fits(30), false);
  const c = w.sent(10, 6);
  assert.equal(w.done(a), 0);
  assert.equal(w.bytes, 50);
  assert.equal(w.done(c), 5, "batch b was never acknowledged: lost with a crashed peer");
  assert.equal(w.bytes, 0);
  assert.equal(w.done(b), 0, "a late acknowledgement settles nothing");
  assert.throws(() => new FlowWindow(0), RangeError);
});

Deno.test("flow window: a new incarnation's numbers start above the old one's, so old acknowledgements settle nothing", async () => {
  const old = new FlowWindow(1000);
  const late = old.sent(10, 1);
  await new Promise((r) => setTimeout(r, 5)); // a restart takes far longer than this
  const fresh = new FlowWindow(1000);
  fresh.sent(10, 1);
  assert.equal(fresh.done(late), 0);
  assert.equal(fresh.bytes, 10);
});
