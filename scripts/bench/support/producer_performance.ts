/**
 * Kafka's own producer benchmark (`org.apache.kafka.tools.ProducerPerformance`), run on the same broker as nxflow's
 * producer so that the two figures of a benchmark come from the same run: idempotent, acks=all, large records allowed.
 *
 * @module
 */
import { runJavaTool } from "../../../actors/common/local_kafka/jvm.ts";

/** Runs ProducerPerformance flat out; MB are decimal (10^6 bytes), like the other figures. */
export async function producerPerformance(
  cp: string,
  bootstrap: string,
  topic: string,
  n: number,
  size: number,
): Promise<{ MBps: number; recordsPerSec: number }> {
  const out = await runJavaTool(cp, ["-Xmx1g"], "org.apache.kafka.tools.ProducerPerformance", [
    "--topic",
    topic,
    "--num-records",
    String(n),
    "--record-size",
    String(size),
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${bootstrap}`,
    "acks=all",
    "enable.idempotence=true",
    "linger.ms=5",
    "batch.size=1048576",
    "max.request.size=209715200",
    "buffer.memory=268435456",
  ]);
  const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(out.trim().split("\n").pop()!);
  if (!m) throw new Error(`Cannot read ProducerPerformance's summary: ${out.slice(-400)}`);
  // ProducerPerformance's MB is 2^20 bytes; report decimal MB like the other figures.
  return { MBps: Number((Number(m[3]) * 1048576 / 1e6).toFixed(1)), recordsPerSec: Math.round(Number(m[2])) };
}
