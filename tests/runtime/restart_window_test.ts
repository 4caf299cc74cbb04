import assert from "node:assert/strict";
import { Backoff } from "../../actors/runtime/backoff.ts";
import { RestartWindow } from "../../actors/runtime/restart_window.ts";

Deno.test("RestartWindow allows intensity restarts within the period and refuses one more", () => {
  const w = new RestartWindow(3, 1000);
  assert.equal(w.add(0), true);
  assert.equal(w.add(100), true);
  assert.equal(w.add(200), true);
  assert.equal(w.add(300), false);
});

Deno.test("RestartWindow forgets restarts older than the period", () => {
  const w = new RestartWindow(2, 1000);
  assert.equal(w.add(0), true);
  assert.equal(w.add(500), true);
  assert.equal(w.add(1200), true);
  assert.equal(w.size, 2);
  assert.equal(w.add(1300), false);
});

Deno.test("RestartWindow with intensity 0 refuses the first restart", () => {
  assert.equal(new RestartWindow(0, 1000).add(0), false);
});

Deno.test("Backoff grows exponentially to its maximum, with jitter inside its bounds", () => {
  const o = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0, resetAfterMs: 5000 };
  const b = new Backoff(o);
  assert.deepEqual([0, 0, 0, 0, 0].map(() => b.next(10)), [100, 200, 400, 800, 1000]);
  const low = new Backoff({ ...o, jitter: 0.5 }, () => 0);
  const high = new Backoff({ ...o, jitter: 0.5 }, () => 0.999999);
  assert.equal(low.next(10), 50);
  assert.equal(high.next(10), 150);
});

Deno.test("Backoff starts again from initialMs after a child ran for resetAfterMs", () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0, resetAfterMs: 5000 });
  assert.equal(b.next(10), 100);
  assert.equal(b.next(10), 200);
  assert.equal(b.next(6000), 100);
});

Deno.test("Backoff without options gives no delay", () => {
  assert.equal(new Backoff(null).next(0), 0);
});
