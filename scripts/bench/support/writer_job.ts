/**
 * One file-writing job of the writer benchmark, in a process of its own so that its memory is the writer's alone:
 * starts the writer subtree and its job manager as `nxflow start` runs them (default settings: 10 s flush interval,
 * 256 MiB `maxQueuedBytes`), lets it take the pl72 already waiting in its job pool, and prints one JSON line
 * ({@linkcode JobResult}) once the job's file writer reports the file finished.
 *
 * Usage (by writer_throughput.ts): deno run -A writer_job.ts <input.json>   (a {@linkcode JobInput})
 *
 * @module
 */
import type { SupervisorEvent } from "../../../protocols/supervision.ts";
import type { FileWriterProtocol, JobStats } from "../../../protocols/writer.ts";
import { ActorSystem } from "../../../actors/runtime/mod.ts";
import { JobManager } from "../../../actors/writer/jobs.ts";
import { writerSettings } from "../../../actors/writer/options.ts";
import { handlerConfig } from "../../../actors/writer/role.ts";
import { jobChildId, writerTree } from "../../../actors/writer/tree.ts";

/** What the benchmark hands the job process. */
export interface JobInput {
  bootstrap: string;
  /** the output folder (hdfOutputPrefix). */
  dir: string;
  jobPoolTopic: string;
  commandStatusTopic: string;
  /** the pool's consumer group, already committed at the waiting pl72. */
  poolGroupId: string;
  jobId: string;
}

/** CPU seconds of this process's threads over the file writer's run, by role. */
export interface ThreadCpu {
  /** the file writer actor's worker thread (decode, routing, writer modules, h5wasm). */
  fileWriter: number;
  /** the job's consumer actor's worker thread (fetches, packing batches). */
  consumer: number;
  /** the main thread (supervisors, job manager; batches go over a direct channel, not through it). */
  main: number;
  /** every other thread, by name without its number: `worker-` (the other actors and the spare Workers),
   * `V8 DefaultWorke` (V8's GC and compiler helpers), `tokio-runtime-w` (Deno's I/O), ... */
  other: Record<string, number>;
}

/** The job process's report. */
export interface JobResult {
  /** file writer started (its file created and built) → its `finished` (file closed), ms. */
  fileWindowMs: number;
  /** the job manager greeting the handler → the file writer's `finished` (includes joining the job pool), ms. */
  commandToFinishedMs: number;
  stats: JobStats;
  error?: string;
  /** highest RSS sampled every 100 ms, and the kernel's high-water mark (VmHWM), MB. */
  peakRssMB: number;
  vmHwmMB: number;
  /** RSS when the file writer had started and no data had come yet, MB. */
  rssAtFileStartMB: number;
  cpu: ThreadCpu;
}

const MB = 1e6;
const TICKS_PER_SECOND = 100;
/** Time for the writer's actors' spare Workers to start before the job does. */
const SETTLE_MS = 1000;
/** A job that has not finished by then is reported as failed (benchmarks must end). */
const TIMEOUT_MS = 600_000;

/** utime + stime of every thread of this process, by thread id, with its name. */
function threadTicks(): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(t.name, { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * The first worker thread started after `before` was taken. Every actor gets a warm spare Worker shortly after it
 * runs (a `setTimeout`), while the next child of a supervisor is spawned at once: so the job's consumer thread
 * comes before the file writer's spare, and thread ids grow with creation.
 */
function newWorker(before: Map<string, unknown>, after: Map<string, { name: string }>): string {
  const fresh = [...after].filter(([tid, t]) => !before.has(tid) && t.name.startsWith("worker-")).map(([tid]) => tid);
  if (fresh.length === 0) throw new Error("no new worker thread");
  return fresh.reduce((a, b) => Number(a) < Number(b) ? a : b);
}

function vmHwmMB(): number {
  const line = Deno.readTextFileSync("/proc/self/status").split("\n").find((l) => l.startsWith("VmHWM:"));
  return Number(line?.match(/\d+/)?.[0] ?? 0) * 1024 / MB;
}

async function main(): Promise<void> {
  const input: JobInput = JSON.parse(await Deno.readTextFile(Deno.args[0]));
  const connection = { brokers: input.bootstrap.split(","), clientId: "nxflow-writer-bench" };
  const settings = writerSettings({
    jobPoolTopic: input.jobPoolTopic,
    commandStatusTopic: input.commandStatusTopic,
    hdfOutputPrefix: input.dir,
  }, "bench");
  const config = { ...handlerConfig({ ...settings, serviceId: "writer-bench" }, connection), version: "bench" };
  config.poolGroupId = input.poolGroupId;

  let peakRss = 0;
  const sampler = setInterval(() => peakRss = Math.max(peakRss, Deno.memoryUsage().rss), 100);
  const jobPath = `root/writer/jobs/${jobChildId(input.jobId)}`;
  let t0 = 0;
  let fileStartedAt = 0;
  let rssAtFileStart = 0;
  let beforeJob = threadTicks();
  let atFileStart = beforeJob;
  let fileTid = "";
  let consumerTid = "";
  const done = Promise.withResolvers<JobResult>();
  const onJobEvent = (e: SupervisorEvent) => {
    if (e.type === "started" && e.path === `${jobPath}/file`) {
      fileStartedAt = performance.now();
      rssAtFileStart = Deno.memoryUsage().rss;
      atFileStart = threadTicks();
      fileTid = newWorker(beforeJob, atFileStart);
      system.ref<FileWriterProtocol>(e.path).onEmit((m) => {
        if (m.type === "finished") done.resolve(finished(m.stats, m.error));
      });
    } else if (e.type === "started" && e.path === `${jobPath}/data`) {
      consumerTid = newWorker(atFileStart, threadTicks());
    } else if (e.type === "exited" && e.path.startsWith(jobPath) && e.kind !== "normal" && e.kind !== "shutdown") {
      done.reject(new Error(`${e.path} exited (${e.kind}): ${e.reason}`));
    }
  };
  const system = await ActorSystem.start({ id: "root", children: [writerTree(config)] }, {
    onEvent(e) {
      try {
        onJobEvent(e);
      } catch (error) {
        done.reject(error);
      }
    },
  });
  // the job starts once the job manager greets the handler: first let the spares of the writer's actors appear
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  beforeJob = threadTicks();
  t0 = performance.now();
  new JobManager(system, "root/writer", connection, (level, source, message) => {
    if (level !== "info") console.error(`${level} ${source}: ${message}`);
  });

  function finished(stats: JobStats, error?: string): JobResult {
    const end = performance.now();
    const now = threadTicks();
    const spent = (tid: string) => (now.get(tid)?.ticks ?? 0) - (atFileStart.get(tid)?.ticks ?? 0);
    const seconds = (ticks: number) => ticks / TICKS_PER_SECOND;
    const known = new Set([fileTid, consumerTid, String(Deno.pid)]);
    const other: Record<string, number> = {};
    for (const [tid, t] of now) {
      const name = t.name.replace(/\d+$/, "");
      if (!known.has(tid)) other[name] = (other[name] ?? 0) + seconds(spent(tid));
    }
    return {
      fileWindowMs: end - fileStartedAt,
      commandToFinishedMs: end - t0,
      stats,
      error,
      peakRssMB: Math.max(peakRss, Deno.memoryUsage().rss) / MB,
      vmHwmMB: vmHwmMB(),
      rssAtFileStartMB: rssAtFileStart / MB,
      cpu: {
        fileWriter: seconds(spent(fileTid)),
        consumer: seconds(spent(consumerTid)),
        main: seconds(spent(String(Deno.pid))),
        other,
      },
    };
  }

  const timeout = setTimeout(() => done.reject(new Error(`no finished file after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  try {
    console.log(JSON.stringify(await done.promise));
  } finally {
    clearTimeout(timeout);
    clearInterval(sampler);
    await system.stop();
  }
}

if (import.meta.main) {
  await main();
  Deno.exit(0);
}
