/**
 * The file writer's supervision tree, and the subtree of one job that the job manager starts under `jobs`:
 *
 * ```text
 * writer (oneForOne)
 * ├─ producer        Kafka producer actor: answ, x5f2, wrdn, pl72 echoes
 * ├─ handler         command handler ─records→ producer
 * └─ jobs            (oneForOne, children come and go)
 *    └─ job-<id>     (oneForOne, temporary: a job that fails too often ends with an error instead of starting over)
 *       ├─ file      file writer actor: one open file (transient: ends normally when the file is finished)
 *       └─ data      consumer actor: the job's data partitions from start − time_before_start ─batches→ file
 * ```
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { HandlerConfig, JobPlan } from "../../protocols/writer.ts";
import type { ConsumerConfig } from "../broker/consumer.ts";
import type { ProducerConfig } from "../broker/producer.ts";
import type { ActorSpec, SupervisorSpec } from "../runtime/child_spec.ts";

const HERE = new URL("./", import.meta.url);
const BROKER = new URL("../broker/", import.meta.url);

/** The writer's supervisor spec (its `jobs` start empty). */
export function writerTree(handler: HandlerConfig, id = "writer"): SupervisorSpec {
  return {
    id,
    strategy: "oneForOne",
    intensity: 10,
    periodMs: 30_000,
    children: [
      {
        id: "producer",
        module: new URL("producer.ts", BROKER),
        config: { connection: handler.connection } satisfies ProducerConfig,
      },
      { id: "handler", module: new URL("handler.ts", HERE), config: handler, backoff: { initialMs: 200, maxMs: 5000 } },
      { id: "jobs", strategy: "oneForOne", intensity: 100, periodMs: 10_000, children: [] },
    ],
    channels: [{ name: "records", between: ["handler", "producer"] }],
  };
}

/** The child id of a job under `jobs`. */
export function jobChildId(jobId: string): string {
  return `job-${jobId}`;
}

/** One job's subtree: its file writer and, when it reads data, its consumer. */
export function jobTree(plan: JobPlan, connection: ConnectionOptions): SupervisorSpec {
  const file: ActorSpec = {
    id: "file",
    module: new URL("file_writer.ts", HERE),
    config: plan,
    restart: "transient",
    // a large flush or the closing statistics can hold the thread for a while
    heartbeatTimeoutMs: 30_000,
    startTimeoutMs: 60_000,
    shutdownMs: 30_000,
  };
  const topics = [...new Set(plan.partitions.map((p) => p.topic))];
  const reads = !plan.failure && topics.length > 0;
  const data: ActorSpec = {
    id: "data",
    module: new URL("consumer.ts", BROKER),
    config: {
      connection,
      topics: topics.map((topic) => ({ topic })),
      start: { timestampMs: Math.max(0, plan.startMs - plan.timeBeforeStartMs) },
      maxUnconfirmedBytes: plan.maxQueuedBytes,
      // 8 MiB fetches: larger ones cost the consumer more copying than they save (scripts/bench/writer_throughput.ts)
      maxBytesPerPartition: 8 * 1024 * 1024,
    } satisfies ConsumerConfig,
  };
  return {
    id: jobChildId(plan.jobId),
    strategy: "oneForOne",
    restart: "temporary",
    // each restart of the file writer also restarts its consumer (it rewinds to the file's checkpoint)
    intensity: 20,
    periodMs: 60_000,
    children: reads ? [file, data] : [file],
    channels: reads ? [{ name: "batches", between: ["data", "file"] }] : [],
  };
}
