import assert from "node:assert/strict";
import type { HealthReply } from "../../protocols/admin.ts";
import type { ActorSnapshot, SupervisorSnapshot, TreeSnapshot } from "../../protocols/supervision.ts";
import { runNxflow } from "../_harness/process.ts";
import { startSystem } from "../_harness/system.ts";
import { eventually } from "../_harness/wait.ts";

/** The detector EFU's formed events so far (its formation actor's counter). */
async function formed(admin: string): Promise<number> {
  const r = await fetch(`${admin}/stats?actor=efu/detector/formation`);
  return r.ok ? (await r.json()).stats["events.count"] : -1;
}

function actors(node: ActorSnapshot | SupervisorSnapshot): [string, string][] {
  return node.kind === "supervisor" ? node.children.flatMap(actors) : [[node.path, node.state]];
}

Deno.test("nxflow chaos crashes, silently stops and hangs actors of the running default system; the tree recovers", async () => {
  const s = await startSystem({ extra: ["--enable-fault-injection"] });
  const { p, admin } = s;
  try {
    assert.ok(p.lines.some((l) => /No Kafka configured: starting the local broker/.test(l)));
    await eventually("events formed by the detector EFU", () => formed(admin), (n) => n > 0, 30_000);
    const chaos = (actor: string, fault: string) =>
      runNxflow(["chaos", "--actor", actor, "--fault", fault, "--admin", admin]);

    const crash = await chaos("efu/detector/formation", "crash");
    assert.equal(crash.code, 0, `${crash.stdout}${crash.stderr}\n--- nxflow start:\n${p.lines.join("\n")}`);
    assert.match(crash.stdout, /crash injected into root\/efu\/detector\/formation/);
    await p.line(/root\/efu\/detector\/formation: exited \(crash\)/);
    await p.line(/root\/efu\/detector\/formation: restarted \(restart 1/);

    const exit = await chaos("sim/detector", "exit");
    assert.equal(exit.code, 0, exit.stdout + exit.stderr);
    await p.line(/root\/sim\/detector: exited \(silentExit\)/);
    await p.line(/root\/sim\/detector: restarted \(restart 1/);

    const hang = await chaos("efu/monitor/formation", "hang");
    assert.equal(hang.code, 0, hang.stdout + hang.stderr);
    await p.line(/root\/efu\/monitor\/formation: exited \(hang\)/);
    await p.line(/root\/efu\/monitor\/formation: restarted \(restart 1/);

    const producer = await chaos("efu/detector/producer", "crash");
    assert.equal(producer.code, 0, producer.stdout + producer.stderr);
    await p.line(/root\/efu\/detector\/producer: restarted \(restart 1/);

    const before = await formed(admin);
    await eventually("events formed after all the faults", () => formed(admin), (n) => n > before, 20_000);

    const health: HealthReply = await (await fetch(`${admin}/health`)).json();
    assert.equal(health.leakedThreads, 1);
    assert.equal(health.status, "degraded");
    const tree: TreeSnapshot = await (await fetch(`${admin}/tree`)).json();
    const states = actors(tree.root);
    assert.ok(states.length >= 12, JSON.stringify(states));
    assert.deepEqual(states.filter(([, state]) => state !== "running"), []);

    p.child.kill("SIGTERM");
    const status = await p.child.status;
    assert.equal(status.code, 0, p.lines.join("\n"));
    assert.ok(p.lines.some((l) => /SIGTERM received: stopping/.test(l)));
  } finally {
    await s.done();
  }
});

Deno.test("nxflow chaos is refused by an instance started without fault injection", async () => {
  const s = await startSystem();
  try {
    const refused = await runNxflow(["chaos", "--actor", "sim/detector", "--fault", "crash", "--admin", s.admin]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /fault injection is disabled/);
    s.p.child.kill("SIGINT");
    assert.equal((await s.p.child.status).code, 0);
    assert.ok(!s.p.lines.some((l) => /exited/.test(l)));
  } finally {
    await s.done();
  }
});

Deno.test("nxflow chaos says so when no instance answers", async () => {
  const r = await runNxflow(["chaos", "--actor", "x", "--fault", "crash", "--admin", "http://127.0.0.1:9"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot reach the admin endpoint/);
});
