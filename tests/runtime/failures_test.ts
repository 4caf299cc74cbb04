import assert from "node:assert/strict";
import { EXIT_CODES } from "../../actors/runtime/mod.ts";
import type { SupervisorEvent } from "../../protocols/supervision.ts";
import type { RecorderProtocol } from "../_fixtures/protocols.ts";
import { eventsOf, FAST_HEARTBEAT, RECORDER, startRecorded, waitFor } from "../_harness/runtime.ts";

async function exitOf(message: RecorderProtocol["in"]): Promise<SupervisorEvent & { lost: number }> {
  const { system, events } = await startRecorded({
    id: "root",
    children: [{ id: "x", module: RECORDER, delivery: "atMostOnce" }],
  });
  try {
    system.ref<RecorderProtocol>("x").send(message);
    await waitFor("the restart", () => system.find("x").restarts === 1 && system.find("x").state === "running");
    assert.equal(await system.ref<RecorderProtocol>("x").request("ping", "back"), "pong back");
    return { ...events.find((e) => e.type === "exited")!, lost: system.find("x").counters.lostInCrash };
  } finally {
    await system.stop();
  }
}

Deno.test("an error thrown in a handler is a crash with the actor's own message, and the actor is restarted", async () => {
  const e = await exitOf({ type: "throw", message: "detector geometry broken" });
  assert.equal(e.kind, "crash");
  assert.equal(e.reason, "Error: detector geometry broken");
  assert.equal(e.lost, 1, "with atMostOnce the message that crashed the actor is not delivered again");
});

Deno.test("an unhandled rejection in an actor is a crash", async () => {
  const e = await exitOf({ type: "rejectLater", message: "broker went away" });
  assert.equal(e.kind, "crash");
  assert.match(e.reason!, /broker went away/);
});

Deno.test("Deno.exit(2) in an actor is a crash; self.close() is a normal exit", async () => {
  const crash = await exitOf({ type: "denoExit", code: 2 });
  assert.equal(crash.kind, "crash");
  assert.match(crash.reason!, /Deno\.exit\(2\)/);
  const normal = await exitOf({ type: "closeSelf" });
  assert.equal(normal.kind, "normal");
  assert.equal(normal.reason, "self.close()");
});

Deno.test("a worker that closes without notice is found by its missing heartbeats and restarted", async () => {
  const { system, events } = await startRecorded({
    id: "root",
    children: [{ id: "x", module: RECORDER, ...FAST_HEARTBEAT }],
  });
  try {
    system.inject("x", "exit");
    await waitFor("the restart", () => system.find("x").restarts === 1 && system.find("x").state === "running");
    assert.deepEqual(eventsOf(events, "exited"), ["root/x:silentExit"]);
    assert.match(events.find((e) => e.type === "exited")!.reason!, /exited without notice/);
    assert.equal(system.leakedThreads, 0);
  } finally {
    await system.stop();
  }
});

Deno.test("a worker blocked for a while but not for good is terminated and restarted, not counted as hung", async () => {
  const { system, events } = await startRecorded({
    id: "root",
    children: [{ id: "x", module: RECORDER, ...FAST_HEARTBEAT, delivery: "atMostOnce" }],
  });
  try {
    system.ref<RecorderProtocol>("x").send({ type: "busy", ms: 1500 });
    await waitFor("the restart", () => system.find("x").restarts === 1 && system.find("x").state === "running");
    const exited = events.find((e) => e.type === "exited")!;
    assert.equal(exited.kind, "hang");
    assert.match(exited.reason!, /unresponsive for \d+ ms, terminated/);
    assert.equal(system.leakedThreads, 0);
  } finally {
    await system.stop();
  }
});

Deno.test("a main thread starved for longer than the heartbeat timeout does not take a healthy actor for hung", async () => {
  const { system, events } = await startRecorded({
    id: "root",
    children: [{ id: "x", module: RECORDER, heartbeatMs: 25, heartbeatTimeoutMs: 300 }],
  });
  try {
    assert.equal(await system.ref<RecorderProtocol>("x").request("ping", "before"), "pong before");
    for (let round = 0; round < 3; round++) {
      const until = performance.now() + 1000;
      while (performance.now() < until) { /* the checker's thread is busy: heartbeats queue up */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await system.ref<RecorderProtocol>("x").request("ping", "after"), "pong after");
    assert.deepEqual(eventsOf(events, "exited"), []);
    assert.equal(system.find("x").restarts, 0);
  } finally {
    await system.stop();
  }
});

async function runFatal(mode: string): Promise<{ code: number; events: SupervisorEvent[]; lines: string[] }> {
  const main = new URL("../_fixtures/fatal_main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", main, mode], stdout: "piped" }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const events = lines.filter((l) => l.includes('"type"')).map((l) => JSON.parse(l) as SupervisorEvent);
  return { code: out.code, events, lines };
}

Deno.test("root escalation ends the process with exit code 3, after stopping the tree", async () => {
  const { code, events } = await runFatal("escalate");
  assert.equal(code, EXIT_CODES.escalated);
  assert.deepEqual(eventsOf(events, "escalated"), ["root:escalated", "process:escalated"]);
  assert.ok(eventsOf(events, "stopped").includes("root/y"));
});

Deno.test("a hung actor is replaced at once; one hang more than allowed ends the process with code 4", async () => {
  const { code, events, lines } = await runFatal("hang");
  assert.equal(code, EXIT_CODES.hung);
  assert.deepEqual(eventsOf(events, "exited"), ["root/x:hang", "root/y:hang"]);
  assert.match(events.find((e) => e.type === "exited")!.reason!, /its thread is still running/);
  assert.ok(lines.includes(JSON.stringify({ ping: "pong after hang" })));
  assert.match(events.find((e) => e.path === "process")!.reason!, /2 worker threads hung \(limit 1\)/);
});

Deno.test("a crash storm (a child killed 100 times in a row) leaves the tree healthy and no thread behind", async () => {
  const threads = () => [...Deno.readDirSync("/proc/self/task")].length;
  const { system, events } = await startRecorded({
    id: "root",
    intensity: 200,
    periodMs: 60_000,
    children: [{ id: "victim", module: RECORDER }, { id: "bystander", module: RECORDER }],
  });
  try {
    const before = threads();
    const victim = system.find("victim");
    for (let i = 1; i <= 100; i++) {
      await waitFor(`victim running before kill ${i}`, () => victim.state === "running");
      system.inject("victim", "crash");
      await waitFor(`restart ${i}`, () => victim.restarts === i && victim.state === "running");
    }
    assert.equal(eventsOf(events, "restarted").length, 100);
    assert.equal(await system.ref<RecorderProtocol>("victim").request("ping", "alive"), "pong alive");
    assert.equal(await system.ref<RecorderProtocol>("bystander").request("ping", "alive"), "pong alive");
    assert.equal(system.find("bystander").restarts, 0);
    assert.equal(system.snapshot().root.state, "running");
    assert.equal(system.leakedThreads, 0);
    await waitFor("old worker threads to end", () => threads() <= before + 2);
  } finally {
    await system.stop();
  }
});

Deno.test("no message is lost or reordered across restarts; every duplicate is flagged as redelivered", async () => {
  const { system } = await startRecorded({
    id: "root",
    intensity: 20,
    children: [{ id: "rec", module: RECORDER }],
  });
  try {
    const rec = system.ref<RecorderProtocol>("rec");
    const got: { n: number; redelivered: boolean }[] = [];
    rec.onEmit((m) => m.type === "recorded" && got.push(m));
    const total = 20_000;
    let crashes = 0;
    for (let n = 0; n < total; n++) {
      rec.send({ type: "record", n });
      if (n % 4000 === 1000) {
        system.inject("rec", "crash");
        crashes++;
      } else if (n % 4000 === 3000) {
        await waitFor(
          `restart ${crashes}`,
          () => system.find("rec").restarts === crashes && system.find("rec").state === "running",
        );
      }
    }
    await waitFor("every number", () => new Set(got.map((g) => g.n)).size === total, 20_000);
    let next = 0;
    for (const g of got) {
      if (g.n === next) next++;
      else assert.ok(g.redelivered && g.n < next, `n=${g.n} out of order (expected ${next}) and not redelivered`);
    }
    assert.equal(next, total);
    assert.equal(system.find("rec").restarts, 5);
  } finally {
    await system.stop();
  }
});

Deno.test("a message that crashes the actor at every delivery is dropped as poison after maxDeliveries", async () => {
  const { system } = await startRecorded({
    id: "root",
    intensity: 10,
    children: [{ id: "rec", module: RECORDER, config: { poison: 13 }, maxDeliveries: 3 }],
  });
  try {
    const rec = system.ref<RecorderProtocol>("rec");
    for (let n = 10; n <= 16; n++) rec.send({ type: "record", n });
    const seen = await waitFor("the rest", async () => {
      const s = await rec.request("seen", null);
      return s.n.includes(16) && s;
    });
    assert.deepEqual(seen.n, [14, 15, 16]);
    const host = system.find("rec");
    assert.equal(host.restarts, 3);
    assert.equal(host.counters.poisonDropped, 1);
  } finally {
    await system.stop();
  }
});
