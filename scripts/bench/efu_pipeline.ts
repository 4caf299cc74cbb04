/**
 * Generator → EFU → Kafka on this machine, in one run: `nxflow readout-gen` (a separate process) sends full BIFROST
 * packets at stepped event rates to an EFU tree running in this process (reader → formation → serialiser →
 * producer, each in its own Worker) that produces ev44 to a local broker. For each step: events/s through the EFU,
 * datagrams lost (kernel, `receive.dropped`), events dropped, and the CPU the EFU used (this process, all threads).
 * Anchor per step, in the same run: the same generator against a bare `Deno.listenDatagram` receive loop in a
 * Worker (`support/efu_raw_receiver.ts`) with the same receive buffer, which shows what the machine lets through.
 * Then the producer's MB/s in the best lossless step next to Kafka's ProducerPerformance at the same record size
 * on the same broker. Prints JSON lines.
 *
 * Usage: deno run -A scripts/bench/efu_pipeline.ts [--seconds 3]
 *
 * @module
 */
import { producerPerformance } from "./support/producer_performance.ts";
import { parseArgs } from "node:util";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { startControl } from "../../actors/efu/control.ts";
import { checkEfuConfig, efuTree } from "../../actors/efu/role.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import { LocalCluster } from "../kafka/cluster.ts";
import { classPath, installKafka } from "../kafka/install.ts";

const RATES = [1e6, 2e6, 5e6, 1e7, 1.5e7, 2e7];
const READOUTS_PER_PACKET = 372;
/** receive buffer asked for by the EFU and the anchor alike (the kernel caps it at net.core.rmem_max). */
const RX_BUFFER = 4 * 1024 * 1024;
const MOD = new URL("../../mod.ts", import.meta.url).pathname;

function line(figure: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: "efu_pipeline", ...figure }));
}

/** CPU seconds this process used so far (all threads), from /proc. */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function freeUdpPort(): number {
  const probe = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return port;
}

async function generator(port: number, rate: number, packets: number, seed: number) {
  const args = ["run", "-A", MOD, "readout-gen", "--family", "caen", "--port", String(port)];
  args.push("--packets", String(packets), "--events-rate", String(rate), "--seed", String(seed));
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" }).output();
  if (!out.success) throw new Error(`readout-gen failed with code ${out.code}`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!) as {
    packets: number;
    expectedEvents: number;
    seconds: number;
  };
}

/** Packets a bare receive loop gets from the generator at `rate`. */
async function rawReceive(rate: number, packets: number, seed: number): Promise<{ sent: number; received: number }> {
  const worker = new Worker(new URL("./support/efu_raw_receiver.ts", import.meta.url), { type: "module" });
  try {
    const next = () => new Promise<Record<string, number>>((r) => (worker.onmessage = (e) => r(e.data)));
    worker.postMessage({ rxBuffer: RX_BUFFER });
    const { port } = await next();
    const sent = await generator(port, rate, packets, seed);
    await new Promise((r) => setTimeout(r, 500));
    worker.postMessage(null);
    return { sent: sent.packets, received: (await next()).packets };
  } finally {
    worker.terminate();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: Deno.args, options: { seconds: { type: "string", default: "3" } } });
  const seconds = Number(values.seconds);
  const cp = classPath(await installKafka());
  const dir = await Deno.makeTempDir({ prefix: "nxflow-efu-bench-" });
  const cluster = await LocalCluster.start({ dir, tied: true, heapMb: 1024 });
  const detector = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(detector, JSON.stringify({ instrument: "bifrost", family: "caen" }));
  const config = checkEfuConfig(
    {
      detector,
      port: freeUdpPort(),
      rxBuffer: RX_BUFFER,
      brokers: cluster.bootstrap,
      commandPort: -1,
      statusIntervalMs: 1000,
    },
    "bench",
  );
  const admin = await BrokerAdmin.connect(config.connection);
  await admin.createTopics([{ topic: config.topic }, { topic: config.statusTopic }, { topic: "bench-java-ev44" }]);
  const system = await ActorSystem.start({ id: "root", children: [efuTree(config)] });
  const control = startControl(system, config, () => {}, () => {});
  const counter = async (name: string) =>
    (await control.counters()).find(([n]) => n === `efu.bifrost.0.${name}`)?.[1] ?? 0;
  let best: { rate: number; MBps: number; recordBytes: number } | null = null;
  try {
    await generator(config.port, 5e5, 2000, 99); // warm-up: JIT, Kafka connection, topic metadata
    await new Promise((r) => setTimeout(r, 2000));
    line({ figure: "receiveBufferBytes", asked: RX_BUFFER, granted: await counter("receive.rxbuffer_bytes") });
    for (const [i, rate] of RATES.entries()) {
      const names = ["receive.packets", "receive.dropped", "events.dropped", "produce.events", "produce.bytes"];
      const names2 = ["produce.messages", "produce.dropped"];
      const before = Object.fromEntries(
        await Promise.all([...names, ...names2].map(async (n) => [n, await counter(n)])),
      );
      const cpu0 = cpuSeconds();
      const t0 = performance.now();
      const sent = await generator(config.port, rate, Math.round((rate * seconds) / READOUTS_PER_PACKET), i + 1);
      let produced = 0;
      let lastChange = performance.now();
      for (let last = -1; performance.now() - lastChange < 3000;) {
        produced = (await counter("produce.events")) - before["produce.events"];
        if (produced >= sent.expectedEvents) break;
        if (produced !== last) lastChange = performance.now();
        last = produced;
        await new Promise((r) => setTimeout(r, 100));
      }
      const wall = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds() - cpu0;
      const delta = async (n: string) => (await counter(n)) - before[n];
      const received = await delta("receive.packets");
      const bytes = await delta("produce.bytes");
      const messages = await delta("produce.messages");
      const lossless = received === sent.packets && produced === sent.expectedEvents;
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
        efuCpuCores: Number((cpu / wall).toFixed(2)),
        producerMBps: Number((bytes / 1e6 / wall).toFixed(1)),
        meanMessageBytes: messages ? Math.round(bytes / messages) : 0,
      });
      const raw = await rawReceive(rate, sent.packets, i + 1);
      line({
        figure: "anchorBareReceive",
        targetEventsPerSec: rate,
        sentPackets: raw.sent,
        receivedPackets: raw.received,
        lossPercent: Number((100 * (1 - raw.received / raw.sent)).toFixed(2)),
        efuLossPercent: Number((100 * (1 - received / sent.packets)).toFixed(2)),
      });
      if (lossless && messages) best = { rate, MBps: bytes / 1e6 / wall, recordBytes: Math.round(bytes / messages) };
    }
    line({ figure: "highestLosslessEventsPerSec", value: best?.rate ?? 0, goal: "1e7 (LoKI), stretch 2e7" });
    if (best) {
      const java = await producerPerformance(cp, cluster.bootstrap, "bench-java-ev44", 3000, best.recordBytes);
      line({
        figure: "producerMBps",
        recordBytes: best.recordBytes,
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
