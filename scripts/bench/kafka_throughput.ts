/**
 * Kafka throughput on one local broker, in one run: the nxflow producer actor vs Kafka's own ProducerPerformance
 * (and `@platformatic/kafka` for comparison) at 1 KB, 100 KB and 1 MB records, then the nxflow consumer actor vs
 * Kafka's ConsumerPerformance. All producers use acks=all and idempotence. Prints one JSON line per figure.
 *
 * Usage: deno run -A scripts/bench/kafka_throughput.ts [--scale 1] [--repeat 3]   (scale multiplies the record counts;
 * every client runs `repeat` rounds, taking turns, and the ratios are of the medians)
 *
 * @module
 */
import { breakdown, snapshot, trackWorkerNames } from "./support/cpu_breakdown.ts";
import { producerPerformance } from "./support/producer_performance.ts";
import { parseArgs } from "node:util";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { produceRecords } from "../../actors/broker/client.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import type { BenchReceiverProtocol, BenchSenderProtocol } from "../../protocols/bench.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { LocalCluster } from "../../actors/common/local_kafka/cluster.ts";
import { classPath, installKafka } from "../../actors/common/local_kafka/install.ts";
import { runJavaTool } from "../../actors/common/local_kafka/jvm.ts";

const SIZES = [
  { recordBytes: 1024, records: 100_000 },
  { recordBytes: 100 * 1024, records: 3_000 },
  { recordBytes: 1024 * 1024, records: 400 },
];
const BROKER = new URL("../../actors/broker/", import.meta.url);
/** names this process's Worker threads by actor path, for the per-thread CPU of the actor runs. */
const threadLabel = trackWorkerNames();
const MB = 1e6;

function line(figure: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: "kafka_throughput", ...figure }));
}

function rates(bytes: number, records: number, ms: number) {
  return { MBps: Number((bytes / MB / (ms / 1000)).toFixed(1)), recordsPerSec: Math.round(records / (ms / 1000)) };
}

async function javaConsumer(cp: string, bootstrap: string, topic: string, n: number) {
  const args = ["--bootstrap-server", bootstrap, "--topic", topic, "--messages", String(n), "--timeout", "60000"];
  const out = await runJavaTool(cp, ["-Xmx1g"], "org.apache.kafka.tools.ConsumerPerformance", args);
  const row = out.trim().split("\n").pop()!.split(",").map((s) => s.trim());
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
  return { MBps: Number((Number(row[3]) * 1048576 / MB).toFixed(1)), recordsPerSec: Math.round(Number(row[5])) };
}

/**
 * CPU of this process since `before` per MB moved (every thread: the actors, the main thread, the runtime's
 * helpers), and its busiest threads in cores (actor threads named by their path).
 */
function cpuOf(before: ReturnType<typeof snapshot>, bytes: number) {
  const after = snapshot(null);
  const cpuMsPerMB = Number((((after.self - before.self) * 10) / (bytes / MB)).toFixed(2));
  return { cpuMsPerMB, threadCores: breakdown(before, after, 0, threadLabel).efuThreads };
}

async function actorProducer(connection: ConnectionOptions, topic: string, n: number, size: number) {
  const system = await ActorSystem.start({
    id: "bench",
    children: [
      { id: "producer", module: new URL("producer.ts", BROKER), config: { connection } },
      { id: "sender", module: new URL("./support/kafka_bench_sender.ts", import.meta.url) },
    ],
    channels: [{ name: "records", between: ["sender", "producer"] }],
  });
  const before = snapshot(null);
  try {
    const r = await system.ref<BenchSenderProtocol>("sender").request("run", { topic, count: n, recordBytes: size }, {
      timeoutMs: 600_000,
    });
    if (r.failed) throw new Error(`${r.failed} records failed in the producer benchmark`);
    return { ...rates(n * size, n, r.ms), ...cpuOf(before, n * size) };
  } finally {
    await system.stop();
  }
}

/** The client library with nothing of nxflow around it but the thin `produceRecords` (no actor, no channel). */
async function bareProducer(connection: ConnectionOptions, topic: string, n: number, size: number) {
  const value = new Uint8Array(size).fill(7);
  const perSend = Math.max(1, Math.floor(1024 * 1024 / size));
  const before = snapshot(null);
  const t0 = performance.now();
  const records = Array.from({ length: n }, () => ({ topic, value }));
  await produceRecords(connection, records, perSend);
  return { ...rates(n * size, n, performance.now() - t0), ...cpuOf(before, n * size) };
}

async function actorConsumer(connection: ConnectionOptions, topic: string, n: number) {
  const system = await ActorSystem.start({
    id: "bench",
    children: [
      { id: "receiver", module: new URL("./support/kafka_bench_receiver.ts", import.meta.url) },
      {
        id: "consumer",
        module: new URL("consumer.ts", BROKER),
        config: { connection, topics: [{ topic }], start: "beginning" },
      },
    ],
    channels: [{ name: "batches", between: ["consumer", "receiver"] }],
  });
  const before = snapshot(null);
  try {
    const r = await system.ref<BenchReceiverProtocol>("receiver").request("waitFor", { records: n }, {
      timeoutMs: 600_000,
    });
    return { ...rates(r.bytes, n, r.ms), ...cpuOf(before, r.bytes) };
  } finally {
    await system.stop();
  }
}

type Rates = { MBps: number; recordsPerSec: number };

/** The median by MB/s of one client's rounds (the machine is shared and noisy: one round proves little). */
function median<T extends Rates>(runs: T[]): T {
  return [...runs].sort((a, b) => a.MBps - b.MBps)[Math.floor(runs.length / 2)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { scale: { type: "string", default: "1" }, repeat: { type: "string", default: "3" } },
  });
  const scale = Number(values.scale);
  if (!(scale > 0)) throw new RangeError(`Cannot use --scale ${values.scale}: must be > 0`);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`Cannot use --repeat ${values.repeat}: >= 1`);
  const cp = classPath(await installKafka());
  const dir = await Deno.makeTempDir({ prefix: "nxflow-kafka-bench-" });
  const cluster = await LocalCluster.start({ dir, tied: true, heapMb: 2048 });
  const connection: ConnectionOptions = { brokers: cluster.bootstrap.split(","), clientId: "nxflow-bench" };
  const admin = await BrokerAdmin.connect(connection);
  try {
    for (const { recordBytes, records } of SIZES) {
      const n = Math.max(10, Math.round(records * scale));
      const base = { recordBytes, records: n };
      const runs = { java: [] as Rates[], ours: [] as Rates[], plat: [] as Rates[], javaC: [] as Rates[] };
      const oursC: (Rates & { cpuMsPerMB: number })[] = [];
      for (let round = 1; round <= repeat; round++) {
        // the clients take turns in every round, so a noisy minute hurts them alike
        const topics = ["java", "nxflow", "platformatic"].map((c) => `bench-${c}-${recordBytes}-${round}`);
        await admin.createTopics(topics.map((topic) => ({ topic })));
        const at = { ...base, round };
        runs.java.push(await producerPerformance(cp, cluster.bootstrap, topics[0], n, recordBytes));
        line({ figure: "produce", client: "kafka ProducerPerformance", ...at, ...runs.java.at(-1) });
        runs.ours.push(await actorProducer(connection, topics[1], n, recordBytes));
        line({ figure: "produce", client: "nxflow producer actor", ...at, ...runs.ours.at(-1) });
        runs.plat.push(await bareProducer(connection, topics[2], n, recordBytes));
        line({ figure: "produce", client: "@platformatic/kafka, bare (produceRecords)", ...at, ...runs.plat.at(-1) });
        runs.javaC.push(await javaConsumer(cp, cluster.bootstrap, topics[0], n));
        line({ figure: "consume", client: "kafka ConsumerPerformance", ...at, ...runs.javaC.at(-1) });
        oursC.push(await actorConsumer(connection, topics[0], n));
        line({ figure: "consume", client: "nxflow consumer actor", ...at, ...oursC.at(-1) });
      }
      const [java, ours, plat, javaC] = [runs.java, runs.ours, runs.plat, runs.javaC].map(median);
      const ours2 = median(oursC);
      const ratio = (a: Rates, b: Rates) => Number((a.MBps / b.MBps).toFixed(2));
      const of = { ...base, rounds: repeat, of: "medians" };
      line({ figure: "produceRatio", ...of, nxflowVsJava: ratio(ours, java), platformaticVsNxflow: ratio(plat, ours) });
      line({ figure: "consumeRatio", ...of, nxflowVsJava: ratio(ours2, javaC), cpuMsPerMB: ours2.cpuMsPerMB });
    }
  } finally {
    await admin.close();
    await cluster.stop({ remove: true });
  }
}

if (import.meta.main) await main();
