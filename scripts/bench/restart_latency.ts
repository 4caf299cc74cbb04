/**
 * Restart latency: from a crash injected into an actor to its replacement answering a request, p50 and p99, for a
 * light actor and for one that loads npm:h5wasm (as the file writer does), each with the default warm spare and
 * cold (`spare: false`). Each crash comes after the actor has run for a while (light 100 ms, h5wasm 500 ms, the time
 * its spare needs to load). The anchor, in the same run, is a bare
 * Worker's spawn → first message for the same load. Goals: light p99 ≤ 50 ms, h5wasm p99 ≤ 250 ms.
 *
 * Usage: deno run -A scripts/bench/restart_latency.ts [--runs N]
 */
import { parseArgs } from "node:util";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import type { PipeSinkProtocol } from "../../protocols/bench.ts";
import { quantile, report } from "./support/report.ts";

const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string" } } });
const RUNS = Number(values.runs ?? 100);

async function restartTimes(module: URL, runs: number, spare: boolean, runMs: number): Promise<number[]> {
  const system = await ActorSystem.start({
    id: "bench",
    intensity: runs + 1,
    periodMs: 3_600_000,
    children: [{ id: "x", module, spare }],
  });
  const x = system.ref<PipeSinkProtocol>("x");
  const host = system.find("x");
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await new Promise((r) => setTimeout(r, runMs));
    const t0 = performance.now();
    system.inject("x", "crash");
    await x.request("ping", null, { timeoutMs: 10_000 });
    times.push(performance.now() - t0);
    if (host.restarts !== i + 1) throw new Error(`expected restart ${i + 1}, saw ${host.restarts}`);
  }
  await system.stop();
  return times;
}

async function spawnTimes(load: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const w = new Worker(new URL(`./support/spawn_worker.ts?load=${load}`, import.meta.url), { type: "module" });
    await new Promise((r) => (w.onmessage = r));
    times.push(performance.now() - t0);
    w.terminate();
  }
  return times;
}

const CASES = [["light", "light_actor.ts", 50, 100], ["h5wasm", "h5wasm_actor.ts", 250, 500]] as const;
for (const [name, file, goalMs, runMs] of CASES) {
  const runs = name === "light" ? RUNS : Math.ceil(RUNS / 2);
  const anchorTimes = await spawnTimes(name, runs);
  for (const spare of [true, false]) {
    const times = await restartTimes(new URL(`./support/${file}`, import.meta.url), runs, spare, runMs);
    for (const q of [0.5, 0.99]) figure(name, spare, q, quantile(times, q), quantile(anchorTimes, q), goalMs);
  }
}

function figure(name: string, spare: boolean, q: number, value: number, anchorValue: number, goalMs: number): void {
  const goal = spare && q === 0.99 ? { goal: `p99 <= ${goalMs} ms`, met: value <= goalMs } : {};
  report({
    bench: "restart_latency",
    figure: `${name}_actor_${spare ? "warm_spare" : "cold"}_p${q * 100}_ms`,
    value,
    unit: "ms",
    anchor: "bare Worker spawn to first message, same module load",
    anchorValue,
    ...goal,
  });
}
