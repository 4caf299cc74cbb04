/**
 * Kafka throughput on one local broker, in one run: the nxflow producer actor vs Kafka's own ProducerPerformance
 * (and `@platformatic/kafka` for comparison) at 1 KB, 100 KB and 1 MB records, then the nxflow consumer actor vs
 * Kafka's ConsumerPerformance. All producers use acks=all and idempotence. Prints one JSON line per figure.
 *
 * Usage: deno run -A scripts/bench/kafka_throughput.ts [--scale 1]   (scale multiplies the record counts)
 *
 * @module
 */
import { producerPerformance } from "./support/producer_performance.ts";
import process from "node:process";
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

async function actorProducer(connection: ConnectionOptions, topic: string, n: number, size: number) {
  const system = await ActorSystem.start({
    id: "bench",
    children: [
      { id: "producer", module: new URL("producer.ts", BROKER), config: { connection } },
      { id: "sender", module: new URL("./support/kafka_bench_sender.ts", import.meta.url) },
    ],
    channels: [{ name: "records", between: ["sender", "producer"] }],
  });
  try {
    const r = await system.ref<BenchSenderProtocol>("sender").request("run", { topic, count: n, recordBytes: size }, {
      timeoutMs: 600_000,
    });
    if (r.failed) throw new Error(`${r.failed} records failed in the producer benchmark`);
    return rates(n * size, n, r.ms);
  } finally {
    await system.stop();
  }
}

/** The client library with nothing of nxflow around it but the thin `produceRecords` (no actor, no channel). */
async function bareProducer(connection: ConnectionOptions, topic: string, n: number, size: number) {
  const value = new Uint8Array(size).fill(7);
  const perSend = Math.max(1, Math.floor(1024 * 1024 / size));
  const t0 = performance.now();
  const records = Array.from({ length: n }, () => ({ topic, value }));
  await produceRecords(connection, records, perSend);
  return rates(n * size, n, performance.now() - t0);
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
  const cpu0 = process.cpuUsage();
  try {
    const r = await system.ref<BenchReceiverProtocol>("receiver").request("waitFor", { records: n }, {
      timeoutMs: 600_000,
    });
    const cpu = process.cpuUsage(cpu0);
    // the whole process (every thread): the consumer's fetches and packing, the receiver, the main thread
    const cpuMsPerMB = Number(((cpu.user + cpu.system) / 1000 / (r.bytes / MB)).toFixed(2));
    return { ...rates(r.bytes, n, r.ms), cpuMsPerMB };
  } finally {
    await system.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: Deno.args, options: { scale: { type: "string", default: "1" } } });
  const scale = Number(values.scale);
  if (!(scale > 0)) throw new RangeError(`Cannot use --scale ${values.scale}: must be > 0`);
  const cp = classPath(await installKafka());
  const dir = await Deno.makeTempDir({ prefix: "nxflow-kafka-bench-" });
  const cluster = await LocalCluster.start({ dir, tied: true, heapMb: 2048 });
  const connection: ConnectionOptions = { brokers: cluster.bootstrap.split(","), clientId: "nxflow-bench" };
  const admin = await BrokerAdmin.connect(connection);
  try {
    for (const { recordBytes, records } of SIZES) {
      const n = Math.max(10, Math.round(records * scale));
      const base = { recordBytes, records: n };
      const topics = ["java", "nxflow", "platformatic"].map((c) => `bench-${c}-${recordBytes}`);
      await admin.createTopics(topics.map((topic) => ({ topic })));
      const java = await producerPerformance(cp, cluster.bootstrap, topics[0], n, recordBytes);
      line({ figure: "produce", client: "kafka ProducerPerformance", ...base, ...java });
      const ours = await actorProducer(connection, topics[1], n, recordBytes);
      line({ figure: "produce", client: "nxflow producer actor", ...base, ...ours });
      const plat = await bareProducer(connection, topics[2], n, recordBytes);
      line({ figure: "produce", client: "@platformatic/kafka, bare (produceRecords)", ...base, ...plat });
      line({ figure: "produceRatio", ...base, nxflowVsJava: Number((ours.MBps / java.MBps).toFixed(2)) });
      line({ figure: "produceRatio", ...base, platformaticVsNxflow: Number((plat.MBps / ours.MBps).toFixed(2)) });
      const javaC = await javaConsumer(cp, cluster.bootstrap, topics[0], n);
      line({ figure: "consume", client: "kafka ConsumerPerformance", ...base, ...javaC });
      const oursC = await actorConsumer(connection, topics[0], n);
      line({ figure: "consume", client: "nxflow consumer actor", ...base, ...oursC });
      line({ figure: "consumeRatio", ...base, nxflowVsJava: Number((oursC.MBps / javaC.MBps).toFixed(2)) });
    }
  } finally {
    await admin.close();
    await cluster.stop({ remove: true });
  }
}

if (import.meta.main) await main();
