import assert from "node:assert/strict";
import { countersOf, counterStore, STORE_SLOTS } from "../../actors/efu/counters.ts";

Deno.test("counters without a store start at 0 and are plain numbers", () => {
  const c = countersOf(["a", "b", "a"]);
  c.a += 3;
  c.new = 1;
  assert.deepEqual({ ...c }, { a: 3, b: 0, new: 1 });
});

Deno.test("counters in a store outlive the record: a second one (a restarted actor) goes on from there", () => {
  const store = counterStore();
  const first = countersOf(["receive.packets", "receive.bytes"], store);
  first["receive.packets"]++;
  first["receive.bytes"] += 9000;
  const second = countersOf(["receive.packets", "receive.bytes"], store);
  assert.deepEqual({ ...second }, { "receive.packets": 1, "receive.bytes": 9000 });
  second["receive.packets"] += 2;
  assert.equal(first["receive.packets"], 3);
});

Deno.test("a store-backed record refuses names it was not given, and a store too small for the names", () => {
  const c = countersOf(["a"], counterStore());
  assert.throws(() => (c.undeclared = 1), TypeError);
  const names = Array.from({ length: STORE_SLOTS + 1 }, (_, i) => `c${i}`);
  assert.throws(() => countersOf(names, counterStore()), /Cannot keep 513 counters/);
});

Deno.test("a store is shared with a Worker, not copied", async () => {
  const store = counterStore();
  const source = `import { countersOf } from "${new URL("../../actors/efu/counters.ts", import.meta.url)}";
    self.onmessage = (e) => { const c = countersOf(["x"], e.data); c.x += 5; self.postMessage(null); };`;
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })), { type: "module" });
  try {
    const done = new Promise((r) => (worker.onmessage = r));
    worker.postMessage(store);
    await done;
    assert.equal(countersOf(["x"], store).x, 5);
  } finally {
    worker.terminate();
  }
});
