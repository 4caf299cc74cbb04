/**
 * The whole-system chaos soak, short: 60 s of `nxflow chaos --soak` (a crash or silent exit every 2 s into a random
 * actor of the running default system) while a 20 s run is taken. The process never exits, every actor runs again
 * afterwards, every fault shows as a restart in `GET /tree` and in the log, and the run's file is finished.
 */
import assert from "node:assert/strict";
import type { SoakReport } from "../../actors/cli/chaos_soak.ts";
import { startKafka } from "../_harness/kafka.ts";
import { runNxflow } from "../_harness/process.ts";
import { startSystem, type TestSystem } from "../_harness/system.ts";
import { eventually } from "../_harness/wait.ts";

Deno.test("nxflow chaos --soak: 60 s of random crashes and silent exits; the system recovers and the run's file is finished", async () => {
  const kafka = await startKafka();
  let s: TestSystem | null = null;
  try {
    s = await startSystem({ brokers: kafka.bootstrap, extra: ["--enable-fault-injection"] });
    const system = s;
    await eventually(
      "events formed",
      async () => (await (await fetch(`${system.admin}/stats?actor=efu/detector/formation`)).json()).stats,
      (stats) => stats?.["events.count"] > 0,
      60_000,
    );
    const soaking = runNxflow([
      ...["chaos", "--soak", "--interval", "2s", "--duration", "60s", "--seed", "7", "--max-hangs", "0"],
      ...["--admin", s.admin],
    ]);
    await new Promise((r) => setTimeout(r, 5000));
    const run = await runNxflow(["run", "start", "--duration", "20s", "--wait", "--brokers", kafka.bootstrap]);
    const soaked = await soaking;
    assert.equal(soaked.code, 0, soaked.stdout + soaked.stderr);
    const report: SoakReport = JSON.parse(soaked.stdout.trim().split("\n").pop()!);
    assert.ok(report.faults >= 20, JSON.stringify(report));
    assert.deepEqual(report.notRunning, []);
    assert.equal(report.health.leakedThreads, 0);
    // every actor faulted is seen to exit and restart (a supervisor's own restart resets its children's counts, so
    // the log, not the counts of /tree, is the record); /tree shows restarts
    for (const actor of Object.keys(report.byActor)) {
      assert.ok(s.p.lines.some((l) => l.includes(`${actor}: exited`)), `${actor}: exit in the log`);
      assert.ok(s.p.lines.some((l) => l.includes(`${actor}: restarted`)), `${actor}: restart in the log`);
    }
    assert.ok(Object.keys(report.restarts).length > 0, JSON.stringify(report.restarts));
    assert.equal(run.code, 0, `run: ${run.stdout}${run.stderr}\n--- soak:\n${soaked.stderr}`);
    const file = run.stdout.match(/finished: (.+)/)![1].trim();
    await Deno.stat(file);
    const health = await (await fetch(`${s.admin}/health`)).json();
    assert.equal(health.status, "ok", JSON.stringify(health));
    s.p.child.kill("SIGTERM");
    assert.equal((await s.p.child.status).code, 0, "the process never exited before");
  } finally {
    await s?.done();
    await kafka.stop();
  }
});
