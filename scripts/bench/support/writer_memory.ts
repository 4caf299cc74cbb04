/**
 * The file writer's write path without Kafka, for the writer benchmark: the same ev44 messages, made in memory
 * beforehand, go through the file writer's `JobFile` (decode, route, source filter, ev44 module, AppendDataset,
 * h5wasm) as the file writer actor hands them over, on one thread. The time covers creating the file (structure
 * and first checkpoint, as the actor does at start), writing every message and finishing (closing) the file: what
 * the h5py anchor's time covers. Prints one JSON line: seconds, messages written, peak RSS (VmHWM, MB).
 *
 * Usage (by writer_throughput.ts): deno run -A writer_memory.ts <folder> <events per message> <messages>
 *
 * @module
 */
import type { JobPlan } from "../../../protocols/writer.ts";
import { JobFile } from "../../../actors/writer/job_file.ts";
import { ev44Messages, ev44Structure } from "./writer_fill.ts";

const TOPIC = "in_memory";

async function main(): Promise<void> {
  const [dir, events, count] = [Deno.args[0], Number(Deno.args[1]), Number(Deno.args[2])];
  const window = { startMs: Date.now() - 3_600_000, stopMs: Date.now() - 60_000 };
  const messages = [...ev44Messages(window, events, count)];
  const plan: JobPlan = {
    jobId: crypto.randomUUID(),
    filename: "memory.nxs",
    path: `${dir}/memory.nxs`,
    structure: JSON.stringify(ev44Structure(TOPIC)),
    startMs: window.startMs,
    stopMs: window.stopMs,
    metadata: "",
    controlTopic: "unused",
    partitions: [{ topic: TOPIC, partition: 0 }],
    timeBeforeStartMs: 10_000,
    timeAfterStopMs: 10_000,
    flushIntervalMs: 10_000,
    maxQueuedBytes: 256 * 1024 * 1024,
    creator: "nxflow bench",
  };
  const t0 = performance.now();
  const job = await JobFile.open(plan);
  job.checkpoint();
  for (const [offset, m] of messages.entries()) {
    job.write(TOPIC, 0, { offset, timestampMs: m.timestampMs, key: null, value: m.value, headers: {} });
  }
  job.finish(window.stopMs);
  const seconds = (performance.now() - t0) / 1000;
  await Deno.remove(plan.path);
  const hwm = Deno.readTextFileSync("/proc/self/status").split("\n").find((l) => l.startsWith("VmHWM:")) ?? "";
  const peakRssMB = Number(hwm.match(/\d+/)?.[0] ?? 0) * 1024 / 1e6;
  console.log(JSON.stringify({ seconds, written: job.stats.written, peakRssMB }));
}

if (import.meta.main) await main();
