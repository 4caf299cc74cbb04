/**
 * The file writer's throughput on one local broker, in one run:
 * - ev44 from Kafka into a NeXus file at 12,400 and 1,000,000 events per message: MB/s of event data (8 bytes per
 *   event: time of flight and pixel id, int32 each) and events/s, next to h5py (Debian's, HDF5 1.10.8) writing the
 *   same six datasets with the same chunking and one append per message on the same disk from data in memory (the
 *   anchor; goal ≥ 0.8×), and next to the consumer actor alone reading the same topic (the ceiling Kafka and the
 *   consumer leave; goal ≥ 300 MB/s);
 * - the writer's write path alone (`JobFile`, one thread, no Kafka) on the same ev44 messages from memory, next to
 *   the same h5py anchor: what the writer costs without Kafka;
 * - f144 from 1,000 PVs updating at 10 Hz each (one NXlog per PV, without the al00/ep01 companions): messages/s
 *   written against the 10,000/s the PVs produce;
 * - the writer process's peak memory in each case, next to its memory when the job's file was open and no data had
 *   come yet.
 *
 * Each job is a historic one (start and stop in the past) over a topic filled beforehand, so the writer reads as
 * fast as it can, and runs in a process of its own (`support/writer_job.ts`) with the writer's default settings. Its
 * time runs from the file writer actor being started (file created, structure built) to its report that the file is
 * finished (closed): consumer start-up and seek, every fetch, write and flush, and the close are inside. Every line
 * also carries the 1-minute load average before the case and the CPU seconds of the writer's threads and of the
 * broker during the job. Prints one JSON line per figure.
 *
 * Usage: deno run -A scripts/bench/writer_throughput.ts [--scale 1]   (scale multiplies the message counts)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import type { ConsumerConfig } from "../../actors/broker/consumer.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import type { BenchReceiverProtocol } from "../../protocols/bench.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { pl72 } from "../../schemas/pl72/codec.ts";
import { LocalCluster } from "../../actors/common/local_kafka/cluster.ts";
import { type Figure, report } from "./support/report.ts";
import type { JobInput, JobResult } from "./support/writer_job.ts";
import {
  ev44Structure,
  f144Structure,
  f144Window,
  fillEv44,
  fillF144,
  produceAll,
  type Window,
} from "./support/writer_fill.ts";

const EV44_CASES = [{ events: 12_400, messages: 10_000 }, { events: 1_000_000, messages: 50 }];
const F144 = { pvs: 1_000, hz: 10, seconds: 60 };
const GOAL_VS_H5PY = 0.8;
const GOAL_FROM_KAFKA_MBPS = 300;
/** The writer's data consumer fetches up to this much per partition (`tree.ts`); the consumer-alone anchor too. */
const FETCH_BYTES = 8 * 1024 * 1024;
/** The writer's default `maxQueuedBytes`, the consumer's unconfirmed-bytes bound. */
const QUEUED_BYTES = 256 * 1024 * 1024;
const BYTES_PER_EVENT = 8;
const MB = 1e6;
const BENCH = "writer_throughput";
const BROKER = new URL("../../actors/broker/", import.meta.url);
const PYTHON = Deno.env.get("NXFLOW_H5PY_PYTHON") ?? "/usr/bin/python3";

/** What every case needs. */
interface Context {
  cluster: LocalCluster;
  connection: ConnectionOptions;
  admin: BrokerAdmin;
  dir: string;
  /** makes this run's topic names its own. */
  run: string;
}

/** A job's result plus the broker's CPU seconds while it ran. */
type Measured = JobResult & { brokerCpu: number };

async function loadAverage(): Promise<number> {
  return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
}

/** CPU seconds used so far by a process (utime + stime). */
async function cpuOf(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A window of past times of the given length, ending five minutes ago (the writer's 10 s leeways are long past). */
function pastWindow(lengthMs: number): Window {
  const stopMs = Date.now() - 5 * 60_000;
  return { startMs: stopMs - lengthMs, stopMs };
}

/** The consumer actor alone reading a topic from the beginning as the writer's consumer does; returns ms. */
async function consumerAlone(connection: ConnectionOptions, topic: string, records: number): Promise<number> {
  const consumer: ConsumerConfig = {
    connection,
    topics: [{ topic }],
    start: "beginning",
    maxBytesPerPartition: FETCH_BYTES,
    maxUnconfirmedBytes: QUEUED_BYTES,
  };
  const system = await ActorSystem.start({
    id: "bench",
    children: [
      { id: "receiver", module: new URL("./support/kafka_bench_receiver.ts", import.meta.url) },
      { id: "consumer", module: new URL("consumer.ts", BROKER), config: consumer },
    ],
    channels: [{ name: "batches", between: ["consumer", "receiver"] }],
  });
  try {
    const receiver = system.ref<BenchReceiverProtocol>("receiver");
    return (await receiver.request("waitFor", { records }, { timeoutMs: 600_000 })).ms;
  } finally {
    await system.stop();
  }
}

/** h5py writing the same datasets (`support/h5py_append.py`); returns seconds. */
async function h5pyAnchor(dir: string, events: number, messages: number): Promise<number> {
  const out = join(dir, "h5py.h5");
  const script = new URL("./support/h5py_append.py", import.meta.url).pathname;
  const args = [script, "--events", String(events), "--messages", String(messages), out];
  const { code, stdout, stderr } = await new Deno.Command(PYTHON, { args }).output();
  await Deno.remove(out).catch(() => {});
  if (code !== 0) throw new Error(`h5py anchor failed (${PYTHON}): ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout)).seconds;
}

/** The writer's write path alone on the same messages, from memory (`support/writer_memory.ts`); returns seconds. */
async function memoryPath(dir: string, events: number, messages: number): Promise<number> {
  const script = new URL("./support/writer_memory.ts", import.meta.url).pathname;
  const args = ["run", "-A", script, dir, String(events), String(messages)];
  const { code, stdout } = await new Deno.Command(Deno.execPath(), { args, stderr: "inherit" }).output();
  if (code !== 0) throw new Error(`the in-memory write path failed with exit code ${code}`);
  const result = JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").pop()!);
  if (result.written !== messages) throw new Error(`the in-memory write path wrote ${result.written} of ${messages}`);
  return result.seconds;
}

/** Runs one historic job over `window` in a writer process of its own; the file is removed afterwards. */
async function runJob(ctx: Context, name: string, structure: unknown, window: Window): Promise<Measured> {
  const topic = (what: string) => `wbench_${ctx.run}_${name}_${what}`;
  const [jobPoolTopic, commandStatusTopic, controlTopic] = [topic("pool"), topic("commands"), topic("control")];
  await ctx.admin.createTopics([jobPoolTopic, commandStatusTopic, controlTopic].map((t) => ({ topic: t })));
  const jobId = crypto.randomUUID();
  const filename = `${name}.nxs`;
  const value = pl72.encode({
    job_id: jobId,
    filename,
    start_time: BigInt(window.startMs),
    stop_time: BigInt(window.stopMs),
    nexus_structure: JSON.stringify(structure),
    control_topic: controlTopic,
    metadata: "",
    service_id: "",
    broker: "",
  });
  await produceAll(ctx.cluster.bootstrap, jobPoolTopic, [{ value, timestampMs: Date.now() }]);
  // the pool group reads from the pl72 on, whenever it joins
  const poolGroupId = `${jobPoolTopic}_group`;
  await ctx.admin.commitOffsets(poolGroupId, [{ topic: jobPoolTopic, partition: 0, offset: 0 }]);
  const input: JobInput = {
    bootstrap: ctx.cluster.bootstrap,
    dir: ctx.dir,
    jobPoolTopic,
    commandStatusTopic,
    poolGroupId,
    jobId,
  };
  const inputPath = join(ctx.dir, `${name}.json`);
  await Deno.writeTextFile(inputPath, JSON.stringify(input));
  const broker = ctx.cluster.state.nodes[0].pid;
  const brokerBefore = await cpuOf(broker);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./support/writer_job.ts", import.meta.url).pathname, inputPath],
    stdout: "piped",
    stderr: "inherit",
  });
  const { code, stdout } = await child.output();
  const brokerCpu = await cpuOf(broker) - brokerBefore;
  await Deno.remove(join(ctx.dir, filename)).catch(() => {});
  await Deno.remove(inputPath);
  const last = new TextDecoder().decode(stdout).trim().split("\n").pop() ?? "";
  if (code !== 0 || !last.startsWith("{")) throw new Error(`the writer job ${name} failed with exit code ${code}`);
  const result: JobResult = JSON.parse(last);
  if (result.error) throw new Error(`the writer job ${name} failed: ${result.error}`);
  return { ...result, brokerCpu };
}

/** What the job lines share: counts, times, memory and CPU. */
function details(job: Measured, load: number): Record<string, unknown> {
  const r = (x: number) => Number(x.toFixed(2));
  return {
    windowS: r(job.fileWindowMs / 1000),
    commandToFinishedS: r(job.commandToFinishedMs / 1000),
    written: job.stats.written,
    cpuSeconds: {
      fileWriter: r(job.cpu.fileWriter),
      consumer: r(job.cpu.consumer),
      main: r(job.cpu.main),
      ...Object.fromEntries(Object.entries(job.cpu.other).map(([name, v]) => [name, r(v)])),
      broker: r(job.brokerCpu),
    },
    load1: load,
  };
}

function memoryFigure(label: string, job: Measured, load: number): void {
  const f: Figure & Record<string, unknown> = {
    bench: BENCH,
    figure: `writer peak RSS, ${label}`,
    value: job.vmHwmMB,
    unit: "MB",
    anchor: "RSS of the same writer process with the job's file open, before any data",
    anchorValue: job.rssAtFileStartMB,
    peakSampledMB: Number(job.peakRssMB.toFixed(1)),
    load1: load,
  };
  report(f);
}

async function ev44Case(ctx: Context, events: number, messages: number): Promise<void> {
  const label = `ev44, ${events.toLocaleString("en")} events/message`;
  const load = await loadAverage();
  const data = `wbench_${ctx.run}_ev44_${events}`;
  await ctx.admin.createTopics([{ topic: data }]);
  const window = pastWindow(20 * 60_000);
  await fillEv44(ctx.cluster.bootstrap, data, window, events, messages);
  const totalEvents = events * messages;
  const megabytes = totalEvents * BYTES_PER_EVENT / MB;
  const consumerMs = await consumerAlone(ctx.connection, data, messages);
  const h5pySeconds = await h5pyAnchor(ctx.dir, events, messages);
  const memorySeconds = await memoryPath(ctx.dir, events, messages);
  const job = await runJob(ctx, `ev44_${events}`, ev44Structure(data), window);
  if (job.stats.written !== messages) {
    throw new Error(`${label}: the writer wrote ${job.stats.written} of ${messages} messages`);
  }
  const seconds = job.fileWindowMs / 1000;
  const common = { events: totalEvents, messages, megabytes, ...details(job, load) };
  const vsH5py: Figure & Record<string, unknown> = {
    bench: BENCH,
    figure: `${label}: from Kafka into the file`,
    value: megabytes / seconds,
    unit: "MB/s",
    anchor: "h5py 3.7 (HDF5 1.10.8), same datasets, chunks and appends, same disk, data in memory",
    anchorValue: megabytes / h5pySeconds,
    goal: `≥ ${GOAL_VS_H5PY}× h5py`,
    met: megabytes / seconds >= GOAL_VS_H5PY * megabytes / h5pySeconds,
    ...common,
  };
  report(vsH5py);
  const fromMemory: Figure & Record<string, unknown> = {
    bench: BENCH,
    figure: `${label}: the writer's write path alone, from memory (decode, filter, ev44 module, h5wasm; no Kafka)`,
    value: megabytes / memorySeconds,
    unit: "MB/s",
    anchor: "h5py (as above)",
    anchorValue: megabytes / h5pySeconds,
    load1: load,
  };
  report(fromMemory);
  const vsKafka: Figure & Record<string, unknown> = {
    bench: BENCH,
    figure: `${label}: from Kafka into the file, against the Kafka goal`,
    value: megabytes / seconds,
    unit: "MB/s",
    anchor: "the consumer actor alone reading the same topic (same fetch size and queue bound), no file",
    anchorValue: megabytes / (consumerMs / 1000),
    goal: `≥ ${GOAL_FROM_KAFKA_MBPS} MB/s`,
    met: megabytes / seconds >= GOAL_FROM_KAFKA_MBPS,
    load1: load,
  };
  report(vsKafka);
  const perSecond: Figure & Record<string, unknown> = {
    bench: BENCH,
    figure: `${label}: events/s from Kafka into the file`,
    value: totalEvents / seconds,
    unit: "events/s",
    anchor: "h5py events/s (as above)",
    anchorValue: totalEvents / h5pySeconds,
    load1: load,
  };
  report(perSecond);
  memoryFigure(label, job, load);
}

async function f144Case(ctx: Context, updates: number): Promise<void> {
  const label = `f144, ${F144.pvs.toLocaleString("en")} PVs at ${F144.hz} Hz`;
  const load = await loadAverage();
  const data = `wbench_${ctx.run}_f144`;
  await ctx.admin.createTopics([{ topic: data }]);
  const window = f144Window(pastWindow(20 * 60_000).startMs, updates, F144.hz);
  await fillF144(ctx.cluster.bootstrap, data, window, F144.pvs, updates, F144.hz);
  const messages = F144.pvs * updates;
  const job = await runJob(ctx, "f144", f144Structure(data, F144.pvs), window);
  if (job.stats.written !== messages) {
    throw new Error(`${label}: the writer wrote ${job.stats.written} of ${messages} messages`);
  }
  const rate = messages / (job.fileWindowMs / 1000);
  const f: Figure & Record<string, unknown> = {
    bench: BENCH,
    figure: `${label}: messages/s from Kafka into the file (no al00/ep01 companions)`,
    value: rate,
    unit: "messages/s",
    anchor: "the rate the PVs produce (PVs × Hz)",
    anchorValue: F144.pvs * F144.hz,
    goal: "≥ 1× (keeps up)",
    met: rate >= F144.pvs * F144.hz,
    messages,
    secondsOfData: updates / F144.hz,
    ...details(job, load),
  };
  report(f);
  memoryFigure(label, job, load);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: Deno.args, options: { scale: { type: "string", default: "1" } } });
  const scale = Number(values.scale);
  if (!(scale > 0)) throw new RangeError(`Cannot use --scale ${values.scale}: must be > 0`);
  const dir = await Deno.makeTempDir({ prefix: "nxflow-writer-bench-" });
  const cluster = await LocalCluster.start({ dir: join(dir, "kafka"), tied: true, heapMb: 2048 });
  const connection: ConnectionOptions = { brokers: cluster.bootstrap.split(","), clientId: "nxflow-writer-bench" };
  const admin = await BrokerAdmin.connect(connection);
  const ctx: Context = { cluster, connection, admin, dir, run: String(Date.now() % 100000) };
  try {
    for (const { events, messages } of EV44_CASES) {
      await ev44Case(ctx, events, Math.max(2, Math.round(messages * scale)));
    }
    await f144Case(ctx, Math.max(2, Math.round(F144.seconds * F144.hz * scale)));
  } finally {
    await admin.close();
    await cluster.stop({ remove: true });
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
