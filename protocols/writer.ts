/**
 * The file writer role's protocols (`actors/writer/`): the command handler, the per-job file writer actors, and the
 * job manager on the main thread that starts and stops each job's subtree. Types only.
 *
 * ```text
 * Kafka pool/command/control topics ◀──▶ handler ──emit startJob/stopJob──▶ job manager (main thread)
 *                                        handler ◀──send jobStarted/jobFailed/jobFinished── job manager
 * jobs/<job>/data (consumer actor) ─(batches)─▶ jobs/<job>/file (one per open file) ──emit finished──▶ job manager
 * ```
 *
 * Times are milliseconds since the Unix epoch unless a name says otherwise.
 *
 * @module
 */
import type { ConnectionOptions, ConsumerLink, ProducerLink } from "./broker.ts";

/** "No stop time": what kafka-to-nexus reports as the stop time of an open-ended job. */
export const NO_STOP_TIME_MS = 9223372036854;

/** One partition of a data topic that a job reads. */
export interface JobPartition {
  topic: string;
  partition: number;
}

/** Everything needed to write one file, checked by the handler before the job starts. */
export interface JobPlan {
  jobId: string;
  /** the file name as given in the pl72 (reported in status). */
  filename: string;
  /** the full path: output prefix + confined file name (reported in wrdn). */
  path: string;
  /** the nexus_structure JSON text. */
  structure: string;
  startMs: number;
  /** {@linkcode NO_STOP_TIME_MS} when open-ended. */
  stopMs: number;
  /** the pl72 metadata string, echoed in wrdn. */
  metadata: string;
  controlTopic: string;
  /** every partition of every data topic of the job's stream modules. */
  partitions: JobPartition[];
  /** set when the job cannot read its data (a missing topic): the file is written with its static part and the job
   * ends at once with this error. */
  failure?: string;
  timeBeforeStartMs: number;
  timeAfterStopMs: number;
  flushIntervalMs: number;
  /** consumers pause when more than this many bytes were delivered and not yet written. */
  maxQueuedBytes: number;
  /** the creator attribute: "nxflow <version>". */
  creator: string;
}

/** Counters of one job, reported in status. */
export interface JobStats {
  /** records read from Kafka. */
  received: number;
  /** messages written by a writer module. */
  written: number;
  /** neutron events in the event messages written (their time-of-flight entries). */
  events: number;
  /** rejected: too short, unknown schema, undecodable, zero timestamp. */
  badMessages: number;
  /** dropped by a source filter: repeated timestamps, after the stop, older than the last pre-start value. */
  filtered: number;
  /** valid messages of no configured source. */
  unrouted: number;
  /** ev44 messages dropped as already written: same source, message id and first pulse time (`event_dedup.ts`). */
  duplicates: number;
  /** a writer module refused the message (wrong shape, ...). */
  writeErrors: number;
  /** bytes written into datasets. */
  bytes: number;
  /** times the writer was started on an existing file and resumed from its checkpoint. */
  resumes: number;
}

/** Job manager → file writer actor. */
export type FileWriterIn =
  /** a new stop time (ms); 0 means stop now. */
  { type: "setStop"; stopMs: number };

/** File writer actor → job manager. */
export type FileWriterOut =
  /** the file is closed (read-only); `error` when the job failed. */
  | { type: "finished"; jobId: string; error?: string; stats: JobStats }
  /** the job's counters, at each checkpoint. */
  | { type: "progress"; jobId: string; stats: JobStats }
  | { type: "log"; level: "info" | "warn" | "error"; message: string };

/** The file writer actor (`actors/writer/file_writer.ts`). */
export interface FileWriterProtocol {
  in: FileWriterIn;
  requests: { stats: { request: null; reply: JobStats & { stopMs: number; path: string } } };
  out: FileWriterOut;
  ports: { batches: ConsumerLink };
}

/** Handler → job manager. */
export type HandlerOut =
  /** the handler (re)started: the job manager answers with `jobs`. */
  | { type: "hello" }
  | { type: "startJob"; plan: JobPlan }
  /** stopMs 0: stop now. */
  | { type: "stopJob"; jobId: string; stopMs: number }
  | { type: "log"; level: "info" | "warn" | "error"; message: string };

/** Job manager → handler. */
export type HandlerIn =
  /** the jobs running now (after a handler restart). */
  | { type: "jobs"; plans: JobPlan[] }
  | { type: "jobStarted"; jobId: string }
  /** the job could not start (its file could not be created, ...): a 500 answer. */
  | { type: "jobFailed"; jobId: string; message: string }
  | { type: "jobFinished"; jobId: string; error?: string; stats: JobStats }
  /** a running job's counters, reported in its status. */
  | { type: "jobProgress"; jobId: string; stats: JobStats };

/** Counters of the command handler. */
export interface HandlerStats {
  jobsStarted: number;
  jobsFinished: number;
  jobsFailed: number;
  /** commands answered with 400 or 500. */
  rejectedCommands: number;
  /** messages on the pool or control topics that were not commands. */
  ignoredMessages: number;
  running: number;
}

/** The command handler actor (`actors/writer/handler.ts`). */
export interface HandlerProtocol {
  in: HandlerIn;
  requests: { stats: { request: null; reply: HandlerStats } };
  out: HandlerOut;
  /** `records`: answ, x5f2, wrdn and the echoed pl72, to the producer actor. */
  ports: { records: ProducerLink };
}

/** The command handler's configuration (`actors/writer/handler.ts`). */
export interface HandlerConfig {
  connection: ConnectionOptions;
  jobPoolTopic: string;
  commandStatusTopic: string;
  /** the consumer group of the job pool, shared by every writer. */
  poolGroupId: string;
  hdfOutputPrefix: string;
  serviceId: string;
  version: string;
  statusIntervalMs: number;
  timeBeforeStartMs: number;
  timeAfterStopMs: number;
  flushIntervalMs: number;
  maxJobs: number;
  maxQueuedBytes: number;
}
