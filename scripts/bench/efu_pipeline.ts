/**
 * Generator → EFU → Kafka on this machine, in one run: `nxflow readout-gen` (a separate process) sends full BIFROST
 * packets at stepped event rates to an EFU tree running in this process (reader → formation → serialiser →
 * producer, each in its own Worker) that produces ev44 to a local broker. For each step: events/s through the EFU,
 * datagrams lost (kernel, `receive.dropped`), events and messages dropped, how long the EFU took after the generator
 * ended to produce the rest (`drainSeconds`), and where the CPU went while the generator was sending (`stepCpu`, in
 * cores: the machine, its softirq share, the EFU (this process) with its busiest threads named by actor, the broker
 * JVM with its busiest threads, the generator, and the rest; see `support/cpu_breakdown.ts`).
 * Anchor per step, in the same run: the same generator against a bare `Deno.listenDatagram` receive loop in a
 * Worker (`support/efu_raw_receiver.ts`) with the same receive buffer, which shows what the machine lets through,
 * with its CPU. The highest lossless step counts only if the generator sent ≥ 95% of its target rate (on a saturated
 * machine it falls behind). Then the producer's MB/s in the best lossless step next to Kafka's ProducerPerformance
 * at the same record size on the same broker and topic. Prints JSON lines.
 *
 * Usage: deno run -A scripts/bench/efu_pipeline.ts [--seconds 3] [--rates 5e6,7e6,1e7] [--partitions 1]
 *   [--producer '{"batchBytes":4194304}'] [--reader '{"batchPackets":64}'] [--rx-buffer 4194304]
 * (`--producer`, `--reader`: settings merged into that actor's config, for experiments; `--rx-buffer`: bytes asked for
 * the UDP receive buffer by the EFU and the anchor, capped by the kernel at net.core.rmem_max)
 *
 * @module
 */
import { producerPerformance } from "./support/producer_performance.ts";
import {
  breakdown,
  processTicks,
  snapshot,
  trackWorkerNames,
  udpCounters,
  waitedChildrenTicks,
} from "./support/cpu_breakdown.ts";
import { parseArgs } from "node:util";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { startControl } from "../../actors/efu/control.ts";
import { checkEfuConfig, efuTree } from "../../actors/efu/role.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import { LocalCluster } from "../../actors/common/local_kafka/cluster.ts";
import { classPath, installKafka } from "../../actors/common/local_kafka/install.ts";

const RATES = "1e6,2e6,5e6,6e6,7e6,8e6,9e6,1e7,1.5e7,2e7";
const READOUTS_PER_PACKET = 372;
/** receive buffer asked for by the EFU and the anchor alike (the kernel caps it at net.core.rmem_max). */
const RX_BUFFER = String(4 * 1024 * 1024);
const MOD = new URL("../../mod.ts", import.meta.url).pathname;
/** Worker threads by actor path (`root/efu/reader#7`) in the per-thread CPU. */
const threadLabel = trackWorkerNames();

function line(figure: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: "efu_pipeline", ...figure }));
}

function freeUdpPort(): number {
  const probe = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface GeneratorRun {
  sent: { packets: number; expectedEvents: number; seconds: number };
  /** cores while the generator was sending: from its first datagram delivered to its exit. */
  cpu: Record<string, unknown>;
  /** when the generator ended (performance.now()). */
  endedAt: number;
}

/**
 * Runs `readout-gen` and measures the CPU of the sending window: a snapshot once datagrams start arriving (so that
 * the generator's start-up is left out) and one after it has been waited for; the generator's share is what its
 * exit added to this process's cutime/cstime minus what it had used before the window.
 */
async function generator(
  port: number,
  rate: number,
  packets: number,
  seed: number,
  broker: number | null,
): Promise<GeneratorRun> {
  const args = ["run", "-A", MOD, "readout-gen", "--family", "caen", "--port", String(port)];
  args.push("--packets", String(packets), "--events-rate", String(rate), "--seed", String(seed));
  const children0 = waitedChildrenTicks();
  const before = snapshot(broker);
  const udp0 = udpCounters().inDatagrams;
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" }).spawn();
  const output = child.output();
  let exited = false;
  void child.status.then(() => (exited = true));
  let start = before;
  let genTicksAtStart = 0;
  while (!exited) {
    await sleep(10);
    if (udpCounters().inDatagrams - udp0 >= 10) {
      genTicksAtStart = processTicks(child.pid) ?? 0;
      start = snapshot(broker);
      break;
    }
  }
  const out = await output;
  const endedAt = performance.now();
  const end = snapshot(broker);
  if (!out.success) throw new Error(`readout-gen failed with code ${out.code}`);
  const genTicks = end.children - children0 - genTicksAtStart;
  return {
    sent: JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!),
    cpu: breakdown(start, end, genTicks, threadLabel),
    endedAt,
  };
}

/** Packets a bare receive loop gets from the generator at `rate`, and the CPU of that run. */
async function rawReceive(rate: number, packets: number, seed: number, rxBuffer: number) {
  const worker = new Worker(new URL("./support/efu_raw_receiver.ts", import.meta.url), {
    type: "module",
    name: "bareReceiver",
  });
  try {
    const next = () => new Promise<Record<string, number>>((r) => (worker.onmessage = (e) => r(e.data)));
    worker.postMessage({ rxBuffer });
    const { port } = await next();
    const run = await generator(port, rate, packets, seed, null);
    await sleep(500);
    worker.postMessage(null);
    return { sent: run.sent.packets, received: (await next()).packets, cpu: run.cpu };
  } finally {
    worker.terminate();
  }
}

/** A child of the EFU tree with extra settings merged into its config. */
function tune(tree: ReturnType<typeof efuTree>, id: string, json: string | undefined): void {
  if (!json) return;
  const child = tree.children.find((c) => c.id === id) as { config: Record<string, unknown> };
  child.config = { ...child.config, ...JSON.parse(json) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "3" },
      rates: { type: "string", default: RATES },
      partitions: { type: "string", default: "1" },
      producer: { type: "string" },
      reader: { type: "string" },
      "rx-buffer": { type: "string", default: RX_BUFFER },
    },
  });
  const seconds = Number(values.seconds);
  const rates = values.rates.split(",").map(Number);
  const partitions = Number(values.partitions);
  const rxBuffer = Number(values["rx-buffer"]);
  if (!(Number.isInteger(rxBuffer) && rxBuffer > 0)) throw new RangeError(`Cannot use --rx-buffer ${rxBuffer}`);
  if (rates.some((r) => !(r > 0))) throw new RangeError(`Cannot use --rates ${values.rates}: positive numbers`);
  if (!(Number.isInteger(partitions) && partitions >= 1)) throw new RangeError(`Cannot use --partitions ${partitions}`);
  const cp = classPath(await installKafka());
  const dir = await Deno.makeTempDir({ prefix: "nxflow-efu-bench-" });
  const cluster = await LocalCluster.start({ dir, tied: true, heapMb: 1024 });
  const broker = cluster.state.nodes[0].pid; // the JVM itself: its wrapper shell execs into java
  const detector = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(detector, JSON.stringify({ instrument: "bifrost", family: "caen" }));
  const config = checkEfuConfig(
    {
      detector,
      port: freeUdpPort(),
      rxBuffer,
      commandPort: -1,
      statusIntervalMs: 1000,
    },
    "bench",
  );
  const connection = { brokers: cluster.bootstrap.split(","), clientId: "nxflow-efu-bench" };
  const admin = await BrokerAdmin.connect(connection);
  await admin.createTopics([
    { topic: config.topic, partitions },
    { topic: config.statusTopic },
    { topic: config.samplesTopic },
    { topic: "bench-java-ev44", partitions },
  ]);
  const tree = efuTree(config, connection);
  tune(tree, "producer", values.producer);
  tune(tree, "reader", values.reader);
  const system = await ActorSystem.start({ id: "root", children: [tree] });
  const control = startControl(system, config, () => {}, () => {});
  const counter = async (name: string) =>
    (await control.counters()).find(([n]) => n === `efu.bifrost.0.${name}`)?.[1] ?? 0;
  let best: { rate: number; MBps: number; recordBytes: number } | null = null;
  try {
    // warm-up: JIT (the broker's C2 compiler still took ~0.15 cores in the steps after a 2,000-packet one), Kafka
    // connection, topic metadata
    await generator(config.port, 3e6, 16_000, 99, broker);
    await sleep(2000);
    line({ figure: "receiveBufferBytes", asked: rxBuffer, granted: await counter("receive.rxbuffer_bytes") });
    line({ figure: "setup", partitions, producer: values.producer ?? "{}", reader: values.reader ?? "{}" });
    for (const [i, rate] of rates.entries()) {
      const names = ["receive.packets", "receive.dropped", "events.dropped", "produce.events", "produce.bytes"];
      const names2 = ["produce.messages", "produce.dropped"];
      const before = Object.fromEntries(
        await Promise.all([...names, ...names2].map(async (n) => [n, await counter(n)])),
      );
      const t0 = performance.now();
      const packets = Math.round((rate * seconds) / READOUTS_PER_PACKET);
      const { sent, cpu, endedAt } = await generator(config.port, rate, packets, i + 1, broker);
      let produced = 0;
      let lastChange = performance.now();
      for (let last = -1; performance.now() - lastChange < 3000;) {
        produced = (await counter("produce.events")) - before["produce.events"];
        if (produced >= sent.expectedEvents) break;
        if (produced !== last) lastChange = performance.now();
        last = produced;
        await sleep(100);
      }
      const drained = produced >= sent.expectedEvents ? performance.now() : lastChange;
      const wall = (performance.now() - t0) / 1000;
      const delta = async (n: string) => (await counter(n)) - before[n];
      const received = await delta("receive.packets");
      const bytes = await delta("produce.bytes");
      const messages = await delta("produce.messages");
      const lossless = received === sent.packets && produced === sent.expectedEvents;
      // a generator starved of CPU sends below the target, and a step can then be lossless at a lower rate
      const reachedTarget = sent.expectedEvents / sent.seconds >= 0.95 * rate;
      line({
        figure: "step",
        targetEventsPerSec: rate,
        sentEventsPerSec: Math.round(sent.expectedEvents / sent.seconds),
        eventsPerSec: Math.round(produced / sent.seconds),
        sentPackets: sent.packets,
        receivedPackets: received,
        kernelLostPackets: sent.packets - received,
        droppedPackets: await delta("receive.dropped"),
        droppedEvents: await delta("events.dropped"),
        droppedMessages: await delta("produce.dropped"),
        expectedEvents: sent.expectedEvents,
        producedEvents: produced,
        lossless,
        reachedTarget,
        drainSeconds: Number((Math.max(0, drained - endedAt) / 1000).toFixed(2)),
        producerMBps: Number((bytes / 1e6 / wall).toFixed(1)),
        meanMessageBytes: messages ? Math.round(bytes / messages) : 0,
      });
      line({ figure: "stepCpu", targetEventsPerSec: rate, cores: cpu });
      const raw = await rawReceive(rate, sent.packets, i + 1, rxBuffer);
      line({
        figure: "anchorBareReceive",
        targetEventsPerSec: rate,
        sentPackets: raw.sent,
        receivedPackets: raw.received,
        lossPercent: Number((100 * (1 - raw.received / raw.sent)).toFixed(2)),
        efuLossPercent: Number((100 * (1 - received / sent.packets)).toFixed(2)),
        cores: { machine: raw.cpu.machine, receiver: raw.cpu.efu, generator: raw.cpu.generator },
      });
      if (lossless && reachedTarget && messages) {
        best = { rate, MBps: bytes / 1e6 / wall, recordBytes: Math.round(bytes / messages) };
      }
    }
    line({ figure: "highestLosslessEventsPerSec", value: best?.rate ?? 0, goal: "1e7 (LoKI), stretch 2e7" });
    if (best) {
      const java = await producerPerformance(cp, cluster.bootstrap, "bench-java-ev44", 3000, best.recordBytes);
      line({
        figure: "producerMBps",
        recordBytes: best.recordBytes,
        partitions,
        efuProducer: Number(best.MBps.toFixed(1)),
        kafkaProducerPerformance: java.MBps,
        note: "EFU figure is limited by the offered rate of the step; ProducerPerformance runs flat out",
      });
    }
  } finally {
    control.stop();
    await system.stop();
    await admin.close();
    await cluster.stop({ remove: true });
    await Deno.remove(detector);
  }
}

if (import.meta.main) await main();
