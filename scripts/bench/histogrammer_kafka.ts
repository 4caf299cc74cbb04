/**
 * The histogrammer from Kafka: how many ev44 events per second one run (consumer actor → binner actor with a hist1d,
 * a hist2d and a dethist of the same input) reads, decodes and bins when the topic is full (catch-up, from the first to
 * the last message: the highest rate it keeps up with), and this process's CPU seconds per 1e7 events (= the cores it
 * needs at 1e7 events/s); anchor, in the same run on the same topic: the consumer actor alone feeding a receiver that
 * only counts records. One local broker. Prints one JSON line per figure.
 *
 * Usage: deno run -A scripts/bench/histogrammer_kafka.ts [--messages M] [--events E]
 */
import { parseArgs } from "node:util";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { runTree } from "../../actors/histogrammer/tree.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import type { BenchReceiverProtocol } from "../../protocols/bench.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { BinnerProtocol, Ev44SenderProtocol, HistogramSpec } from "../../protocols/histogrammer.ts";
import { LocalCluster } from "../../actors/common/local_kafka/cluster.ts";
import { cpuSeconds } from "./support/process_cpu.ts";
import { report } from "./support/report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { messages: { type: "string" }, events: { type: "string" } },
});
const M = Number(values.messages ?? 150), E = Number(values.events ?? 100_000);
const BROKER = new URL("../../actors/broker/", import.meta.url);
const TOPIC = "hist-bench-events";

async function produce(connection: ConnectionOptions): Promise<void> {
  const system = await ActorSystem.start({
    id: "bench",
    children: [
      { id: "producer", module: new URL("producer.ts", BROKER), config: { connection } },
      { id: "sender", module: new URL("./support/ev44_sender.ts", import.meta.url) },
    ],
    channels: [{ name: "records", between: ["sender", "producer"] }],
  });
  try {
    const r = await system.ref<Ev44SenderProtocol>("sender").request("run", { topic: TOPIC, messages: M, events: E }, {
      timeoutMs: 600_000,
    });
    if (r.failed) throw new Error(`${r.failed} messages failed`);
  } finally {
    await system.stop();
  }
}

/** events/s from the first to the last message, and this process's CPU seconds per 1e7 events over the whole run. */
async function measure(cpu0: number, span: () => Promise<{ count: number; ms: number }>) {
  let s = await span();
  while (s.count < M) {
    await new Promise((r) => setTimeout(r, 20));
    s = await span();
  }
  const cpu = (await cpuSeconds()) - cpu0;
  return { rate: ((M - 1) * E) / (s.ms / 1000), cpuPer1e7: cpu / ((M * E) / 1e7) };
}

async function histogrammer(connection: ConnectionOptions) {
  const base = { dataBrokers: connection.brokers, dataTopics: [TOPIC], topic: "hist-bench-out", source: "", id: "" };
  const histograms: HistogramSpec[] = [
    { ...base, type: "hist1d", tofRange: [0, 71_000_000], numBins: [500], id: "tof" },
    { ...base, type: "hist2d", tofRange: [0, 71_000_000], detRange: [1, 16384], numBins: [100, 64], id: "2d" },
    { ...base, type: "dethist", detRange: [1, 16384], width: 128, height: 128, id: "map" },
  ];
  const tree = runTree("run", {
    connection,
    input: "ev44",
    output: "hs01",
    histograms,
    startMs: 0,
    stopMs: null,
    showStart: false,
    showStop: false,
    publishMs: 1000,
  });
  const cpu0 = await cpuSeconds();
  const system = await ActorSystem.start({ id: "bench", children: [tree] });
  try {
    const binner = system.ref<BinnerProtocol>("run/binner");
    binner.send({ type: "restore", resetAt: [] });
    return await measure(cpu0, async () => {
      const s = await binner.request("stats", null);
      return { count: s.messages, ms: s.lastCountedMs - s.firstCountedMs };
    });
  } finally {
    await system.stop();
  }
}

async function consumerAlone(connection: ConnectionOptions) {
  const cpu0 = await cpuSeconds();
  const system = await ActorSystem.start({
    id: "bench",
    children: [
      { id: "receiver", module: new URL("./support/kafka_bench_receiver.ts", import.meta.url) },
      { id: "consumer", module: new URL("consumer.ts", BROKER), config: { connection, topics: [{ topic: TOPIC }] } },
    ],
    channels: [{ name: "batches", between: ["consumer", "receiver"] }],
  });
  try {
    const receiver = system.ref<BenchReceiverProtocol>("receiver");
    const wait = (records: number) => receiver.request("waitFor", { records }, { timeoutMs: 600_000 });
    const [first, last] = await Promise.all([wait(1), wait(M)]);
    return await measure(cpu0, () => Promise.resolve({ count: M, ms: last.ms - first.ms }));
  } finally {
    await system.stop();
  }
}

const dir = await Deno.makeTempDir({ prefix: "nxflow-hist-bench-" });
const cluster = await LocalCluster.start({ dir, tied: true, heapMb: 1024 });
try {
  const connection: ConnectionOptions = { brokers: cluster.bootstrap.split(","), clientId: "nxflow-bench" };
  const admin = await BrokerAdmin.connect(connection);
  await admin.createTopics([{ topic: TOPIC }, { topic: "hist-bench-out" }]).finally(() => admin.close());
  await produce(connection);
  const anchor = await consumerAlone(connection);
  const ours = await histogrammer(connection);
  const common = { bench: "histogrammer_kafka", unit: "events/s", anchor: "consumer actor alone (counts records)" };
  report({
    ...common,
    figure: "ev44_catch_up_events_per_s (hist1d + hist2d + dethist of one input)",
    value: ours.rate,
    anchorValue: anchor.rate,
    goal: "keeps up with 1e7 events/s",
    met: ours.rate >= 1e7,
  });
  report({
    bench: "histogrammer_kafka",
    figure: "process_cpu_seconds_per_1e7_events (= cores at 1e7 events/s)",
    value: ours.cpuPer1e7,
    unit: "cpu-s",
    anchor: "consumer actor alone",
    anchorValue: anchor.cpuPer1e7,
  });
} finally {
  await cluster.stop({ remove: true });
}
