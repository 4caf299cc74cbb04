import assert from "node:assert/strict";
import type { ChildSpec, Strategy } from "../../actors/runtime/mod.ts";
import { EXIT_CODES } from "../../actors/runtime/mod.ts";
import type { RecorderProtocol } from "../_fixtures/protocols.ts";
import { eventsOf, RECORDER, startRecorded, waitFor } from "../_harness/runtime.ts";

const three: ChildSpec[] = ["a", "b", "c"].map((id) => ({ id, module: RECORDER }));

async function restartedBy(strategy: Strategy, crash: string): Promise<string[]> {
  const { system, events } = await startRecorded({ id: "root", strategy, intensity: 5, children: three });
  try {
    system.inject(crash, "crash");
    await waitFor(`${crash} to be restarted`, () => eventsOf(events, "restarted").includes(`root/${crash}`));
    await new Promise((r) => setTimeout(r, 100));
    for (const id of ["a", "b", "c"]) {
      assert.equal(await system.ref<RecorderProtocol>(id).request("ping", id), `pong ${id}`);
    }
    return eventsOf(events, "restarted");
  } finally {
    await system.stop();
  }
}

Deno.test("oneForOne restarts only the child that crashed", async () => {
  assert.deepEqual(await restartedBy("oneForOne", "b"), ["root/b"]);
});

Deno.test("oneForAll restarts every child, in start order", async () => {
  assert.deepEqual(await restartedBy("oneForAll", "b"), ["root/a", "root/b", "root/c"]);
});

Deno.test("restForOne restarts the crashed child and those started after it", async () => {
  assert.deepEqual(await restartedBy("restForOne", "b"), ["root/b", "root/c"]);
});

Deno.test("oneForAll stops the other children in reverse order before restarting", async () => {
  const { system, events } = await startRecorded({ id: "root", strategy: "oneForAll", children: three });
  try {
    system.inject("a", "crash");
    await waitFor("a to be restarted", () => eventsOf(events, "restarted").includes("root/a"));
    const after = events.slice(events.findIndex((e) => e.type === "exited"));
    assert.deepEqual(after.filter((e) => e.type === "stopped").map((e) => e.path), ["root/c", "root/b"]);
  } finally {
    await system.stop();
  }
});

Deno.test("transient children are restarted after a crash but not after a normal exit", async () => {
  const { system, events } = await startRecorded({
    id: "root",
    children: [{ id: "t", module: RECORDER, restart: "transient" }],
  });
  try {
    const t = system.ref<RecorderProtocol>("t");
    system.inject("t", "crash");
    await waitFor("t to restart", () => system.find("t").restarts === 1 && system.find("t").state === "running");
    t.send({ type: "finish" });
    await waitFor("t to stop", () => system.find("t").state === "stopped");
    assert.deepEqual(eventsOf(events, "exited"), ["root/t:crash", "root/t:normal"]);
    await assert.rejects(t.request("ping", "x"), /Cannot deliver to root\/t: it is stopped/);
    assert.equal(system.find("t").restarts, 1);
  } finally {
    await system.stop();
  }
});

Deno.test("temporary children are never restarted and leave the tree", async () => {
  const { system, events } = await startRecorded({
    id: "root",
    children: [{ id: "keep", module: RECORDER }, { id: "temp", module: RECORDER, restart: "temporary" }],
  });
  try {
    system.inject("temp", "crash");
    await waitFor("temp to exit", () => eventsOf(events, "exited").length === 1);
    await waitFor("temp to leave", () => system.snapshot().root.children.length === 1);
    assert.deepEqual(eventsOf(events, "restarted"), []);
  } finally {
    await system.stop();
  }
});

Deno.test("a supervisor over its restart intensity escalates to its parent, which restarts the subtree", async () => {
  const { system, events, fatal } = await startRecorded({
    id: "root",
    intensity: 5,
    children: [
      {
        id: "sub",
        intensity: 1,
        periodMs: 60_000,
        children: [{ id: "x", module: RECORDER }, { id: "y", module: RECORDER }],
      },
    ],
  });
  try {
    system.inject("x", "crash");
    await waitFor("x's first restart", () => system.find("x").restarts === 1 && system.find("x").state === "running");
    system.inject("x", "crash");
    await waitFor("sub to be restarted by root", () => eventsOf(events, "restarted").includes("root/sub"));
    assert.deepEqual(eventsOf(events, "escalated"), ["root/sub:escalated"]);
    assert.deepEqual(fatal, []);
    assert.equal(await system.ref<RecorderProtocol>("y").request("ping", "y"), "pong y");
    const sub = system.snapshot().root.children[0];
    assert.equal(sub.state, "running");
    assert.equal(sub.restarts, 1);
  } finally {
    await system.stop();
  }
});

Deno.test("the root escalates to the process: onFatal gets exit code 3 after the tree is stopped", async () => {
  const { system, events, fatal } = await startRecorded({
    id: "root",
    intensity: 0,
    children: [{ id: "x", module: RECORDER }],
  });
  system.inject("x", "crash");
  await waitFor("the fatal call", () => fatal.length === 1);
  assert.equal(fatal[0].code, EXIT_CODES.escalated);
  assert.match(fatal[0].reason, /root supervisor gave up: more than 0 restarts/);
  assert.equal(system.find("x").state, "stopped");
  assert.ok(eventsOf(events, "escalated").includes("root:escalated"));
});

Deno.test("stop() stops children in reverse start order, each running its terminate hook", async () => {
  const { system, events } = await startRecorded({
    id: "root",
    children: [...three, { id: "sub", children: [{ id: "d", module: RECORDER }, { id: "e", module: RECORDER }] }],
  });
  const stopping: string[] = [];
  for (const id of ["a", "b", "c", "d", "e"]) {
    system.ref<RecorderProtocol>(id).onEmit((m) => m.type === "stopping" && stopping.push(m.id));
  }
  assert.deepEqual(eventsOf(events, "started"), ["root/a", "root/b", "root/c", "root/sub/d", "root/sub/e", "root/sub"]);
  assert.equal(await system.stop(), true);
  assert.deepEqual(stopping, ["e", "d", "c", "b", "a"]);
  assert.deepEqual(eventsOf(events, "stopped"), ["root/sub/e", "root/sub/d", "root/sub", "root/c", "root/b", "root/a"]);
});

Deno.test("backoff delays a failing child's restart", async () => {
  const { system, events } = await startRecorded({
    id: "root",
    children: [{ id: "x", module: RECORDER, backoff: { initialMs: 300, maxMs: 1000, jitter: 0 } }],
  });
  try {
    system.inject("x", "crash");
    const restarted = await waitFor("x to restart", () => events.find((e) => e.type === "restarted"));
    assert.ok(restarted.latencyMs! >= 300, `restarted after ${restarted.latencyMs} ms`);
  } finally {
    await system.stop();
  }
});

Deno.test("actors restart with and without a warm spare, and a stopped tree leaves no spare thread behind", async () => {
  const threads = () => [...Deno.readDirSync("/proc/self/task")].length;
  const before = threads();
  const { system } = await startRecorded({
    id: "root",
    children: [{ id: "warm", module: RECORDER }, { id: "cold", module: RECORDER, spare: false }],
  });
  for (const id of ["warm", "cold"]) {
    await new Promise((r) => setTimeout(r, 200));
    system.inject(id, "crash");
    await waitFor(`${id} to restart`, () => system.find(id).restarts === 1 && system.find(id).state === "running");
    assert.equal(await system.ref<RecorderProtocol>(id).request("ping", id), `pong ${id}`);
  }
  await system.stop();
  await waitFor("worker threads to end", () => threads() <= before);
});

Deno.test("children started later (startChild) are supervised, stopped in order, and removed with stopChild", async () => {
  const { system, events } = await startRecorded({ id: "root", children: [{ id: "jobs", children: [] }] });
  try {
    const jobs = system.supervisor("jobs");
    await jobs.startChild({
      id: "job1",
      intensity: 5,
      restart: "temporary",
      children: [{ id: "w", module: RECORDER }],
    });
    await jobs.startChild({ id: "job2", children: [{ id: "w", module: RECORDER }] });
    await assert.rejects(jobs.startChild({ id: "job2", children: [] }), /already has a child with that id/);
    await assert.rejects(
      jobs.startChild({ id: "bad", children: [{ id: "w", module: RECORDER, config: { failInit: "no file" } }] }),
      /no file/,
    );
    assert.deepEqual(jobs.children.map((c) => c.path), ["root/jobs/job1", "root/jobs/job2"]);
    system.inject("root/jobs/job1/w", "crash");
    await waitFor("job1/w to restart", () => eventsOf(events, "restarted").includes("root/jobs/job1/w"));
    assert.equal(await system.ref<RecorderProtocol>("root/jobs/job1/w").request("ping", "x"), "pong x");
    assert.equal(await jobs.stopChild("job1"), true);
    assert.deepEqual(jobs.children.map((c) => c.path), ["root/jobs/job2"]);
    assert.throws(() => system.find("root/jobs/job1/w"), /No actor/);
    assert.equal(await jobs.stopChild("job1"), true);
  } finally {
    await system.stop();
  }
  assert.ok(eventsOf(events, "stopped").includes("root/jobs/job2/w"));
});
