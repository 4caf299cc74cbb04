import assert from "node:assert/strict";
import { ActorStartError, ActorSystem, RemoteError, RequestTimeoutError } from "../../actors/runtime/mod.ts";
import type { RecorderProtocol } from "../_fixtures/protocols.ts";
import { RECORDER, startRecorded, waitFor } from "../_harness/runtime.ts";

Deno.test("messages sent before an actor is ready are all handled, in order", async () => {
  const { system } = await startRecorded({
    id: "root",
    children: [{ id: "rec", module: RECORDER, config: { initDelayMs: 300 }, restart: "permanent" }],
  });
  try {
    const rec = system.ref<RecorderProtocol>("rec");
    system.inject("rec", "crash");
    await waitFor("the restart to begin", () => system.find("rec").state !== "running");
    for (let n = 0; n < 500; n++) rec.send({ type: "record", n });
    const seen = await rec.request("seen", null);
    assert.deepEqual(seen.n, Array.from({ length: 500 }, (_, i) => i));
    assert.equal(system.find("rec").counters.stashed, 501);
  } finally {
    await system.stop();
  }
});

Deno.test("request() returns the typed reply, and a handler's error as RemoteError without crashing", async () => {
  const { system, events } = await startRecorded({ id: "root", children: [{ id: "rec", module: RECORDER }] });
  try {
    const rec = system.ref<RecorderProtocol>("rec");
    assert.equal(await rec.request("ping", "hello"), "pong hello");
    await assert.rejects(rec.request("invalid", 7), (e) => {
      assert.ok(e instanceof RemoteError);
      assert.equal(e.remote.name, "RangeError");
      assert.match(e.message, /Cannot use 7/);
      return true;
    });
    await assert.rejects(rec.request("nonsense" as "ping", "x"), /answers no request "nonsense"/);
    assert.equal(await rec.request("ping", "again"), "pong again");
    assert.equal(events.filter((e) => e.type === "exited").length, 0);
  } finally {
    await system.stop();
  }
});

Deno.test("request() rejects with RequestTimeoutError when no reply comes in time", async () => {
  const { system } = await startRecorded({ id: "root", children: [{ id: "rec", module: RECORDER }] });
  try {
    const rec = system.ref<RecorderProtocol>("rec");
    rec.send({ type: "slowRecord", n: 1, ms: 400 });
    await assert.rejects(rec.request("ping", "x", { timeoutMs: 100 }), RequestTimeoutError);
  } finally {
    await system.stop();
  }
});

Deno.test("a direct channel carries messages between siblings and is rewired when one restarts, telling the other", async () => {
  const { system } = await startRecorded({
    id: "root",
    children: [{ id: "a", module: RECORDER }, { id: "b", module: RECORDER }],
    channels: [{ name: "link", between: ["a", "b"] }],
  });
  try {
    const a = system.ref<RecorderProtocol>("a");
    const b = system.ref<RecorderProtocol>("b");
    a.send({ type: "forward", n: 1 });
    b.send({ type: "forward", n: 2 });
    await waitFor("b to get 1", async () => (await b.request("seen", null)).n.includes(1));
    const connects = (await a.request("seen", null)).connects;
    system.inject("b", "crash");
    await waitFor("b to restart", () => system.find("b").restarts === 1 && system.find("b").state === "running");
    a.send({ type: "forward", n: 3 });
    const bSeen = await waitFor("b to get 3", async () => {
      const s = await b.request("seen", null);
      return s.n.includes(3) && s;
    });
    assert.deepEqual(bSeen.n, [3]);
    const aSeen = await a.request("seen", null);
    assert.deepEqual(aSeen.n, [2]);
    assert.equal(aSeen.connects, connects + 1, "a's onConnect ran when b's replacement was wired");
  } finally {
    await system.stop();
  }
});

Deno.test("ActorSystem.start() rejects with the reason when a child's init fails, and stops the others", async () => {
  const started: string[] = [];
  await assert.rejects(
    ActorSystem.start({
      id: "root",
      children: [
        { id: "ok", module: RECORDER },
        { id: "bad", module: RECORDER, config: { failInit: "no detector geometry" } },
      ],
    }, { onEvent: (e) => started.push(`${e.type} ${e.path}`) }),
    (e) => e instanceof ActorStartError && /no detector geometry/.test(e.message),
  );
  assert.deepEqual(started, ["started root/ok", "stopped root/ok"]);
});

Deno.test("ActorSystem.start() rejects a module that does not export an actor", async () => {
  await assert.rejects(
    ActorSystem.start({
      id: "root",
      children: [{ id: "x", module: new URL("./restart_window_test.ts", import.meta.url) }],
    }),
    /has no default export made with defineActor/,
  );
});

Deno.test("a throwing onEmit listener is reported and does not disturb the actor or the other listeners", async () => {
  const { system, events } = await startRecorded({ id: "root", children: [{ id: "rec", module: RECORDER }] });
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    const rec = system.ref<RecorderProtocol>("rec");
    const got: number[] = [];
    rec.onEmit(() => {
      throw new Error("listener bug");
    });
    rec.onEmit((m) => m.type === "recorded" && got.push(m.n));
    rec.send({ type: "record", n: 1 });
    await waitFor("the second listener", () => got.length === 1);
    assert.match(String(errors[0]), /a listener of root\/rec threw on a "recorded" notice: Error: listener bug/);
    assert.equal(events.filter((e) => e.type === "exited").length, 0);
    await waitFor("the acknowledgement", () => rec.backlog === 0);
  } finally {
    console.error = original;
    await system.stop();
  }
});
