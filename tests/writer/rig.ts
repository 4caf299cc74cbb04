/**
 * A file writer under test against a real Kafka: the writer subtree and its job manager (as `nxflow start` runs them),
 * and a probe on the far side of Kafka that sends commands and data and reads the command and control topics.
 * Each rig has topics and an output folder of its own, so several rigs can share one broker.
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { HandlerConfig } from "../../protocols/writer.ts";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import type { ConsumerConfig } from "../../actors/broker/consumer.ts";
import type { ProducerConfig } from "../../actors/broker/producer.ts";
import { type ActorRef, ActorSystem } from "../../actors/runtime/mod.ts";
import { JobManager } from "../../actors/writer/jobs.ts";
import { writerTree } from "../../actors/writer/tree.ts";
import { decodeAny } from "../../schemas/registry.ts";
import { pl72 } from "../../schemas/pl72/codec.ts";
import { runStop } from "../../schemas/6s4t/codec.ts";
import type { ProbeProtocol } from "../_fixtures/actors/kafka_probe.ts";
import { eventually } from "../_harness/wait.ts";

const BROKER = new URL("../../actors/broker/", import.meta.url);

/** A decoded record of the command or control topic. */
export interface Seen {
  topic: string;
  timestampMs: number;
  id: string;
  // deno-lint-ignore no-explicit-any
  message: any;
}

/** Options of a rig. */
export interface RigOptions {
  /** data topics to create, with their partition counts. */
  dataTopics?: Record<string, number>;
  maxJobs?: number;
  flushIntervalMs?: number;
  timeAfterStopMs?: number;
  timeBeforeStartMs?: number;
  /** run the writer in this process (default); `false`: only the probe, for a writer run as a subprocess. */
  writer?: boolean;
}

/** A running writer and its probe. */
export interface Rig {
  system: ActorSystem;
  probe: ActorRef<ProbeProtocol>;
  /** the output prefix (a temporary folder). */
  dir: string;
  /** topic names of this rig. */
  topics: { pool: string; command: string; control: string; data: Record<string, string> };
  config: HandlerConfig;
  /** log lines of the writer. */
  logs: string[];
  /** Sends a pl72 to the pool; returns the job id. */
  startJob(job: JobRequest): Promise<string>;
  /** Sends a 6s4t on the control topic (stopMs 0: stop now); returns the command id. */
  stopJob(jobId: string, stopMs: number, commandId?: string): Promise<string>;
  /** Produces data records to a data topic (by its short name). */
  produce(topic: string, records: { value: Uint8Array; timestampMs?: number; partition?: number }[]): Promise<void>;
  /** Every decoded record read so far from a topic (undecodable ones are left out). */
  seen(topic: string): Promise<Seen[]>;
  /** Waits for the job's wrdn on its control topic and returns it. */
  finished(jobId: string, timeoutMs?: number): Promise<Seen>;
  stop(): Promise<void>;
}

/** What a test asks to write. */
export interface JobRequest {
  jobId?: string;
  filename: string;
  structure: unknown;
  startMs: number;
  stopMs?: number;
  metadata?: string;
  controlTopic?: string;
}

let rigs = 0;

/** Starts a writer and its probe on a running Kafka. */
export async function startRig(connection: ConnectionOptions, options: RigOptions = {}): Promise<Rig> {
  const n = `${Date.now() % 100000}_${rigs++}`;
  const topics = {
    pool: `w${n}_pool`,
    command: `w${n}_commands`,
    control: `w${n}_control`,
    data: Object.fromEntries(Object.keys(options.dataTopics ?? {}).map((t) => [t, `w${n}_${t}`])),
  };
  const admin = await BrokerAdmin.connect(connection);
  try {
    await admin.createTopics([
      { topic: topics.pool },
      { topic: topics.command },
      { topic: topics.control },
      ...Object.entries(options.dataTopics ?? {}).map(([t, partitions]) => ({ topic: topics.data[t], partitions })),
    ]);
    if (options.writer !== false) await admin.startGroupAtEnd(`w${n}_pool_group`, topics.pool); // as the role does
  } finally {
    await admin.close();
  }
  const dir = await Deno.makeTempDir({ prefix: "nxflow-writer-" });
  const config: HandlerConfig = {
    connection,
    jobPoolTopic: topics.pool,
    commandStatusTopic: topics.command,
    poolGroupId: `w${n}_pool_group`,
    hdfOutputPrefix: dir,
    serviceId: `test-writer-${n}`,
    version: "test",
    statusIntervalMs: 500,
    timeBeforeStartMs: options.timeBeforeStartMs ?? 2000,
    timeAfterStopMs: options.timeAfterStopMs ?? 1000,
    flushIntervalMs: options.flushIntervalMs ?? 1000,
    maxJobs: options.maxJobs ?? 1,
    maxQueuedBytes: 64 * 1024 * 1024,
  };
  const logs: string[] = [];
  const system = await ActorSystem.start({
    id: "root",
    children: [
      ...(options.writer === false ? [] : [writerTree(config)]),
      {
        id: "probe_side",
        children: [
          { id: "probe_producer", module: new URL("producer.ts", BROKER), config: { connection } as ProducerConfig },
          {
            id: "probe_consumer",
            module: new URL("consumer.ts", BROKER),
            config: {
              connection,
              topics: [{ topic: topics.command }, { topic: topics.control }],
              start: "beginning",
            } as ConsumerConfig,
          },
          { id: "probe", module: new URL("../_fixtures/actors/kafka_probe.ts", import.meta.url) },
        ],
        channels: [
          { name: "records", between: ["probe", "probe_producer"] },
          { name: "batches", between: ["probe_consumer", "probe"] },
        ],
      },
    ],
  }, { onEvent: (e) => logs.push(`${e.time} ${e.type} ${e.path} ${e.kind ?? ""} ${e.reason ?? ""}`) });
  if (options.writer !== false) {
    new JobManager(system, "root/writer", connection, (level, source, message) => {
      logs.push(`${level} ${source}: ${message}`);
      if (Deno.env.get("NXFLOW_TEST_LOG")) console.error(`${level} ${source}: ${message}`);
    });
  }
  const probe = system.ref<ProbeProtocol>("probe");
  const seen = async (topic: string): Promise<Seen[]> => {
    const name = topics.data[topic] ?? topic;
    const out: Seen[] = [];
    for (const s of await probe.request("seen", null)) {
      if (s.topic !== name) continue;
      try {
        out.push({ topic: s.topic, timestampMs: s.timestampMs, ...decodeAny(s.value) });
      } catch {
        // not a flatbuffer of ours
      }
    }
    return out;
  };
  return {
    system,
    probe,
    dir,
    topics,
    config,
    logs,
    async startJob(job) {
      const jobId = job.jobId ?? crypto.randomUUID();
      const value = pl72.encode({
        job_id: jobId,
        filename: job.filename,
        start_time: BigInt(job.startMs),
        stop_time: BigInt(job.stopMs ?? 0),
        nexus_structure: typeof job.structure === "string" ? job.structure : JSON.stringify(job.structure),
        control_topic: job.controlTopic ?? topics.control,
        metadata: job.metadata ?? "",
        service_id: "",
        broker: "",
      });
      await probe.request("produce", { topic: topics.pool, value });
      return jobId;
    },
    async stopJob(jobId, stopMs, commandId = crypto.randomUUID()) {
      const value = runStop.encode({ job_id: jobId, stop_time: BigInt(stopMs), command_id: commandId });
      await probe.request("produce", { topic: topics.control, value });
      return commandId;
    },
    async produce(topic, records) {
      const name = topics.data[topic] ?? topic;
      await probe.request("produceMany", records.map((r) => ({ topic: name, ...r })));
    },
    seen,
    async finished(jobId, timeoutMs = 60_000) {
      let found: Seen | undefined;
      await eventually(`the wrdn of job ${jobId}`, () => seen(topics.control), (all) => {
        found = all.find((s) => s.id === "wrdn" && s.message.job_id === jobId);
        return Boolean(found);
      }, timeoutMs);
      return found!;
    },
    async stop() {
      await system.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The answ replies on a topic for a job, in order. */
export async function answersFor(rig: Rig, topic: string, jobId: string): Promise<Seen[]> {
  return (await rig.seen(topic)).filter((s) => s.id === "answ" && s.message.job_id === jobId);
}
