/**
 * The forwarder's throughput with nxflow's own CA server (`nxflow sim`) as the source, where pythonSoftIOC caps
 * `forwarder_throughput.ts` at a few thousand updates/s. Real Kafka; one JSON line per figure:
 *
 * - 1,000 scalar PVs at 100 Hz each (`--load-pvs 1000 --load-hz 100`: 1e5 updates/s offered; `--scalar-hz`);
 * - one 2,048-double PV at 10 kHz (`--load-arrays 1 --load-array-len 2048 --load-hz 10000`).
 *
 * For each: updates/s acknowledged by Kafka against the updates/s the sim posted (the anchor, same run), the share
 * forwarded, and the CPU (cores) of the forwarder (this process: its CA client is TypeScript) and of the sim. All of
 * it shares the machine's 2 cores with Kafka: the figures say what stops the forwarder there.
 *
 * Usage: deno run -A scripts/bench/forwarder_sim_source.ts [--seconds 5] [--scalar-hz 100]
 */
import { parseArgs } from "node:util";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { forwarderTree } from "../../actors/forwarder/tree.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import type { SerialiserProtocol, Stream } from "../../protocols/forwarder.ts";
import { freePort } from "../../tests/_harness/ioc.ts";
import { startKafka } from "../../tests/_harness/kafka.ts";
import { startSim } from "../../tests/sim/sim_harness.ts";
import { cpuSeconds } from "./support/process_cpu.ts";
import { report } from "./support/report.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "5" }, "scalar-hz": { type: "string", default: "100" } },
});
const SECONDS = Number(values.seconds);
const SCALAR_HZ = Number(values["scalar-hz"]);
const BENCH = "forwarder_sim_source";

async function cpuOf(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

const PHASES = [
  {
    name: "1000 scalar PVs",
    args: ["--load-pvs=1000", `--load-hz=${SCALAR_HZ}`],
    channels: Array.from({ length: 1000 }, (_, i) => `SIM:LOAD:S${i}`),
    bytes: 72,
    goal: "1e5 updates/s",
  },
  {
    name: "2048-double PV",
    args: ["--load-arrays=1", "--load-array-len=2048", "--load-hz=10000"],
    channels: ["SIM:LOAD:A0"],
    bytes: 2048 * 8 + 72,
    goal: "10000 updates/s",
  },
];

const kafka = await startKafka({ heapMb: 1024 });
const port = freePort();
try {
  const admin = await BrokerAdmin.connect(kafka.connection);
  await admin.createTopics(["sim_config", "sim_status", "sim_data"].map((topic) => ({ topic, partitions: 4 })));
  await admin.close();
  for (const phase of PHASES) {
    const sim = await startSim([...phase.args, `--ca-port=${port}`]);
    let system: ActorSystem | null = null;
    try {
      const streams: Stream[] = phase.channels.map((channel) => ({
        channel,
        schema: "f144",
        topic: "sim_data",
        protocol: "CA",
        periodic: 0,
      }));
      system = await ActorSystem.start(forwarderTree({
        kafka: kafka.connection,
        configTopic: "sim_config",
        statusTopic: "sim_status",
        skipRetrieval: true,
        statusIntervalMs: 4000,
        groups: 4,
        serviceId: "bench-sim",
        ca: { addrList: "127.0.0.1", serverPort: port },
        pva: { addrList: "127.0.0.1:9" },
        streams,
        version: "bench",
      }));
      const serialiser = system.ref<SerialiserProtocol>("serialiser");
      const stats = () => serialiser.request("stats", null, { timeoutMs: 120_000 });
      for (let i = 0; i < 600 && (await stats()).pvsConnected < streams.length; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      // start from a drained pipeline: the first values of every PV acknowledged
      for (let i = 0; i < 300; i++) {
        const s = await stats();
        if (s.acked >= s.forwarded && s.forwarded >= streams.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      type Counters = { counters: Record<string, number> };
      const posted = async () => (await sim.stats<Counters>("sim/ca")).counters["monitor.updates"];
      report({
        bench: BENCH,
        figure: `${phase.name} load average before`,
        value: Deno.loadavg()[0],
        unit: "1-min load",
      });
      const [s0, p0, f0, c0, t0] = [
        await stats(),
        await posted(),
        await cpuSeconds(),
        await cpuOf(sim.process.child.pid),
        performance.now(),
      ];
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const [s1, p1, f1, c1, t1] = [
        await stats(),
        await posted(),
        await cpuSeconds(),
        await cpuOf(sim.process.child.pid),
        performance.now(),
      ];
      const seconds = (t1 - t0) / 1000;
      const rate = (s1.acked - s0.acked) / seconds;
      const offered = (p1 - p0) / seconds;
      report({
        bench: BENCH,
        figure: `${phase.name} updates/s to Kafka`,
        value: rate,
        unit: "updates/s",
        anchor: "updates/s posted by nxflow sim",
        anchorValue: offered,
        goal: phase.goal,
        met: rate >= Number(phase.goal.split(" ")[0]),
      });
      report({ bench: BENCH, figure: `${phase.name} MB/s to Kafka`, value: (rate * phase.bytes) / 1e6, unit: "MB/s" });
      report({ bench: BENCH, figure: `${phase.name} forwarder CPU`, value: (f1 - f0) / seconds, unit: "cores" });
      report({ bench: BENCH, figure: `${phase.name} sim CPU`, value: (c1 - c0) / seconds, unit: "cores" });
      report({
        bench: BENCH,
        figure: `${phase.name} updates dropped by the forwarder's timestamp filter`,
        value: s1.droppedTimestamps - s0.droppedTimestamps,
        unit: "count",
      });
    } finally {
      await system?.stop();
      await sim.stop();
    }
  }
} finally {
  await kafka.stop();
}
Deno.exit(0);
