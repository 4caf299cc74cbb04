import assert from "node:assert/strict";
import type { HealthReply } from "../../protocols/admin.ts";
import type { TreeSnapshot } from "../../protocols/supervision.ts";
import { reap, runNxflow, spawnNxflow } from "../_harness/process.ts";
import { waitFor } from "../_harness/runtime.ts";
import { join } from "node:path";
import { cacheRoot } from "../../scripts/kafka/install.ts";

/**
 * `nxflow start` on its defaults, except that the embedded local Kafka it starts (no brokers configured) has a name
 * of this test's own, and is stopped afterwards.
 */
async function startOnDefaults(
  extra: string[],
): Promise<{ p: ReturnType<typeof spawnNxflow>; done: () => Promise<void> }> {
  const dir = await Deno.makeTempDir();
  const local = `chaos-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(`${dir}/nxflow.json`, JSON.stringify({ kafka: { local } }));
  const p = spawnNxflow(["start", "--config", `${dir}/nxflow.json`, "--admin-port", "0", ...extra]);
  const done = async () => {
    await reap(p);
    const kafka = new URL("../../scripts/kafka/main.ts", import.meta.url).pathname;
    await new Deno.Command(Deno.execPath(), { args: ["run", "-A", kafka, "stop", "--name", local], stdout: "null" })
      .output();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(join(cacheRoot(), "run", local), { recursive: true }).catch(() => {});
  };
  return { p, done };
}

async function adminUrl(line: Promise<string>): Promise<string> {
  return (await line).match(/admin endpoint on (http:\/\/[\d.:]+)/)![1];
}

Deno.test("nxflow chaos crashes, silently stops and hangs actors of a running nxflow start; the tree recovers", async () => {
  const { p, done } = await startOnDefaults(["--enable-fault-injection"]);
  try {
    await p.line(/No Kafka configured: starting the local broker/);
    const admin = await adminUrl(p.line(/admin endpoint on/, 120_000));
    await p.line(/root\/demo\/counter: [1-9]\d* events\/s/, 20_000);
    const chaos = (actor: string, fault: string) =>
      runNxflow(["chaos", "--actor", actor, "--fault", fault, "--admin", admin]);

    const crash = await chaos("counter", "crash");
    assert.equal(crash.code, 0, `${crash.stdout}${crash.stderr}\n--- nxflow start:\n${p.lines.join("\n")}`);
    assert.match(crash.stdout, /crash injected into root\/demo\/counter/);
    await p.line(/root\/demo\/counter: exited \(crash\)/);
    await p.line(/root\/demo\/counter: restarted \(restart 1/);

    const exit = await chaos("demo/source", "exit");
    assert.equal(exit.code, 0, exit.stdout + exit.stderr);
    await p.line(/root\/demo\/source: exited \(silentExit\)/);
    await p.line(/root\/demo\/source: restarted \(restart 1/);

    const hang = await chaos("counter", "hang");
    assert.equal(hang.code, 0, hang.stdout + hang.stderr);
    await p.line(/root\/demo\/counter: exited \(hang\)/);
    await p.line(/root\/demo\/counter: restarted \(restart 2/);

    const producer = await chaos("producer", "crash");
    assert.equal(producer.code, 0, producer.stdout + producer.stderr);
    await p.line(/root\/demo\/producer: restarted \(restart 1/);
    const reports = p.lines.length;
    await waitFor(
      "events counted after all the faults",
      () => p.lines.slice(reports).some((l) => /root\/demo\/counter: [1-9]\d* events\/s/.test(l)),
      20_000,
    );

    const health: HealthReply = await (await fetch(`${admin}/health`)).json();
    assert.equal(health.leakedThreads, 1);
    assert.equal(health.status, "degraded");
    const tree: TreeSnapshot = await (await fetch(`${admin}/tree`)).json();
    const demo = tree.root.children[0];
    assert.ok(demo.kind === "supervisor");
    assert.deepEqual(demo.children.map((c) => [c.id, c.state]), [
      ["producer", "running"],
      ["consumer", "running"],
      ["counter", "running"],
      ["source", "running"],
    ]);

    p.child.kill("SIGTERM");
    const status = await p.child.status;
    assert.equal(status.code, 0, p.lines.join("\n"));
    assert.ok(p.lines.some((l) => /SIGTERM received: stopping/.test(l)));
  } finally {
    await done();
  }
});

Deno.test("nxflow chaos is refused by an instance started without fault injection", async () => {
  const { p, done } = await startOnDefaults([]);
  try {
    const admin = await adminUrl(p.line(/admin endpoint on/, 120_000));
    const refused = await runNxflow(["chaos", "--actor", "counter", "--fault", "crash", "--admin", admin]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /fault injection is disabled/);
    p.child.kill("SIGINT");
    assert.equal((await p.child.status).code, 0);
    assert.ok(!p.lines.some((l) => /exited/.test(l)));
  } finally {
    await done();
  }
});

Deno.test("nxflow chaos says so when no instance answers", async () => {
  const r = await runNxflow(["chaos", "--actor", "x", "--fault", "crash", "--admin", "http://127.0.0.1:9"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot reach the admin endpoint/);
});
