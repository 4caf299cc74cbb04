/**
 * P5, the whole system's throughput: the default system (`nxflow start`'s roles: sim, two EFUs, forwarder, writer,
 * histogrammer) in this process on one local broker, at stepped sim event rates. Each step takes a run
 * (`nxflow run start --duration`) and compares every pulse of the run's file with what the sim sent for it (the sim
 * counts its events per pulse): events lost on the way, and whether the step was lossless. The CPU of each role (its
 * actors' Worker threads), of this process's main thread and of the broker while the run is taken. The anchor in the
 * same run at the same rate: the EFU pipeline alone (the sim and the EFUs, no forwarder, writer or histogrammer),
 * judged by the distinct ev44 messages in Kafka. One JSON line per figure.
 *
 * Usage: deno run -A scripts/bench/system_throughput.ts [--rates 5e5,1e6,2e6,4e6] [--seconds 10]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { checkConfig } from "../../actors/cli/config.ts";
import { connectKafka } from "../../actors/cli/kafka_config.ts";
import type { Log } from "../../actors/common/log.ts";
import { SYSTEM_TOPICS, systemRoles } from "../../actors/common/system/defaults.ts";
import { ROLES } from "../../actors/roles.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import { runNxflow } from "../../tests/_harness/process.ts";
import { EventTally, readWhole } from "../../tests/_harness/soak_ledger.ts";
import { freePort } from "../../tests/_harness/system.ts";
import { EVENTS, fileReport, readerPython } from "../../tests/system/file_report.ts";
import type { SerialiserProtocol } from "../../protocols/forwarder.ts";
import type { DetectorProtocol, PulseRecord as Pulse } from "../../protocols/sim.ts";
import { LocalCluster } from "../../actors/common/local_kafka/cluster.ts";
import { installKafka } from "../../actors/common/local_kafka/install.ts";
import { type Snapshot, snapshot, trackWorkerNames } from "./support/cpu_breakdown.ts";

const BENCH = "system_throughput";
const PULSE_NS = 71_428_571n;
const threadLabel = trackWorkerNames();
const quiet: Log = (level, source, message) => {
  if (level === "error") console.error(`${source}: ${message}`);
};

function line(figure: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: BENCH, ...figure }));
}

/** Cores used between two snapshots: the machine, the broker, this process's main thread and each role's threads. */
function cores(a: Snapshot, b: Snapshot): Record<string, unknown> {
  const seconds = (b.at - a.at) / 1000;
  const c = (ticks: number) => Number((ticks / 100 / seconds).toFixed(2));
  const roles: Record<string, number> = {};
  for (const [tid, t] of b.selfThreads) {
    const label = threadLabel(t.name);
    const role = /^root\/([^/#]+)/.exec(label)?.[1] ?? (label.startsWith("worker-") ? "other workers" : "main");
    roles[role] = (roles[role] ?? 0) + t.ticks - (a.selfThreads.get(tid)?.ticks ?? 0);
  }
  return {
    seconds: Number(seconds.toFixed(1)),
    machine: c(b.machine.busy - a.machine.busy),
    nxflow: c(b.self - a.self),
    broker: c((b.other ?? 0) - (a.other ?? 0)),
    roles: Object.fromEntries(Object.entries(roles).map(([r, t]) => [r, c(t)]).filter(([, x]) => (x as number) > 0)),
  };
}

/** Starts the given roles of the default system at `rate` as `nxflow start` does, on the broker given. */
async function startRoles(bootstrap: string, rate: number, out: string, only?: string[]) {
  const ports = { caPort: freePort(), beaconPort: freePort(), detectorPort: freePort(), monitorPort: freePort() };
  const all = systemRoles({ ...ports, detectorCommandPort: 0, monitorCommandPort: 0 }, out);
  all.sim.eventRate = rate;
  const sections = Object.fromEntries(Object.entries(all).filter(([name]) => !only || only.includes(name)));
  const config = checkConfig({ kafka: { brokers: [bootstrap] }, roles: sections });
  const roles = ROLES.filter((r) => r.name in config.roles);
  const kafka = await connectKafka(config.kafka, () => {});
  for (const r of roles) await r.prepare?.(config.roles[r.name] as never, kafka, quiet);
  const system = await ActorSystem.start({
    id: "root",
    strategy: "oneForOne",
    intensity: config.supervisor.intensity,
    periodMs: config.supervisor.periodMs,
    children: roles.map((r) => r.tree(config.roles[r.name] as never, kafka)),
  }, { maxLeakedThreads: config.supervisor.maxLeakedThreads });
  for (const r of roles) r.attach?.(system, config.roles[r.name] as never, quiet, kafka);
  return system;
}

/** Polls the sim's recent pulses every second until `stop()`; the pulses seen, by pulse time. */
function pulsesOf(system: ActorSystem) {
  const pulses = new Map<string, Pulse>();
  let polling = true;
  const done = (async () => {
    while (polling) {
      const s = await system.ref<DetectorProtocol>("root/sim/detector")
        .request("stats", null).catch(() => null);
      for (const p of s?.recent ?? []) pulses.set(p.pulseNs, p);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return { pulses, stop: async () => (polling = false, await done) };
}

/** Events the sim sent for the pulses strictly inside the window, against what `got` has for them. */
function judge(pulses: Map<string, Pulse>, got: (pulse: string) => number, startNs: bigint, stopNs: bigint) {
  let [pulseCount, sent, lost, excess] = [0, 0, 0, 0];
  for (const [pulse, p] of pulses) {
    if (BigInt(pulse) <= startNs + 2n * PULSE_NS || BigInt(pulse) >= stopNs - 2n * PULSE_NS) continue;
    pulseCount++;
    sent += p.detectorEvents;
    const n = got(pulse);
    lost += Math.max(0, p.detectorEvents - n);
    excess += Math.max(0, n - p.detectorEvents);
  }
  return {
    pulses: pulseCount,
    sentEvents: sent,
    lostEvents: lost,
    excessEvents: excess,
    lossless: lost + excess === 0,
  };
}

async function systemStep(bootstrap: string, broker: number, rate: number, seconds: number, venv: string) {
  const out = await Deno.makeTempDir({ prefix: "nxflow-p5-" });
  const system = await startRoles(bootstrap, rate, out);
  const poll = pulsesOf(system);
  let run: Awaited<ReturnType<typeof runNxflow>>;
  let used: Record<string, unknown>;
  try {
    const serialiser = system.ref<SerialiserProtocol>("root/forwarder/serialiser");
    for (let i = 0; i < 120 && (await serialiser.request("stats", null)).pvsConnected < 7; i++) {
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const a = snapshot(broker);
    run = await runNxflow(["run", "start", "--duration", `${seconds}s`, "--wait", "--brokers", bootstrap]);
    used = cores(a, snapshot(broker));
  } finally {
    await poll.stop();
    await system.stop();
  }
  try {
    if (run.code !== 0) throw new Error(`run start failed: ${run.stdout}${run.stderr}`);
    const startNs = BigInt(Date.parse(run.stdout.match(/: start \(([^)]+)\)/)![1])) * 1_000_000n;
    const file = run.stdout.match(/finished: (.+)/)![1].trim();
    const rows = new Map<string, number>(); // a pulse's events may come in several messages: several rows
    for (const [p, n] of (await fileReport(venv, file)).events[EVENTS.detector]) rows.set(p, (rows.get(p) ?? 0) + n);
    const stopNs = startNs + BigInt(seconds) * 1_000_000_000n;
    return { ...judge(poll.pulses, (p) => rows.get(p) ?? 0, startNs, stopNs), cores: used };
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
}

async function anchorStep(bootstrap: string, broker: number, rate: number, seconds: number) {
  const out = await Deno.makeTempDir({ prefix: "nxflow-p5-" });
  const system = await startRoles(bootstrap, rate, out, ["sim", "efu"]);
  const poll = pulsesOf(system);
  let window: { startNs: bigint; stopNs: bigint; used: Record<string, unknown> };
  try {
    await new Promise((r) => setTimeout(r, 5000));
    const a = snapshot(broker);
    const startNs = BigInt(Date.now()) * 1_000_000n;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    window = { startNs, stopNs: BigInt(Date.now()) * 1_000_000n, used: cores(a, snapshot(broker)) };
    await new Promise((r) => setTimeout(r, 3000)); // what is in flight reaches Kafka
  } finally {
    await poll.stop();
    await system.stop();
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
  const tally = new EventTally("bifrost_detector");
  await readWhole({ brokers: [bootstrap] }, [SYSTEM_TOPICS.detector], (r) => tally.add(r));
  return {
    ...judge(poll.pulses, (p) => tally.perPulse.get(p) ?? 0, window.startNs, window.stopNs),
    cores: window.used,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { rates: { type: "string", default: "5e5,1e6,2e6,4e6" }, seconds: { type: "string", default: "10" } },
  });
  const rates = values.rates.split(",").map(Number);
  const seconds = Number(values.seconds);
  if (rates.some((r) => !(r > 0))) throw new RangeError(`Cannot use --rates ${values.rates}: positive numbers`);
  if (!(Number.isInteger(seconds) && seconds >= 5)) throw new RangeError(`Cannot use --seconds ${seconds}: ≥ 5`);
  const venv = await readerPython();
  await installKafka();
  const dir = await Deno.makeTempDir({ prefix: "nxflow-p5-kafka-" });
  const cluster = await LocalCluster.start({ dir, tied: true, heapMb: 1024 });
  const broker = cluster.state.nodes[0].pid;
  let best = 0;
  let bestAnchor = 0;
  try {
    for (const rate of rates) {
      const step = await systemStep(cluster.bootstrap, broker, rate, seconds, venv);
      line({ figure: "step", eventsPerSec: rate, load1: Deno.loadavg()[0], ...step });
      const anchor = await anchorStep(cluster.bootstrap, broker, rate, seconds);
      line({ figure: "anchorEfuAlone", eventsPerSec: rate, ...anchor });
      if (step.lossless) best = Math.max(best, rate);
      if (anchor.lossless) bestAnchor = Math.max(bestAnchor, rate);
    }
  } finally {
    await cluster.stop({ remove: true });
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  line({
    figure: "highestLosslessEventsPerSec",
    value: best,
    anchor: "the EFU pipeline alone",
    anchorValue: bestAnchor,
  });
}

if (import.meta.main) await main();
