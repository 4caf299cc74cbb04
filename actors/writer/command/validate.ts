/**
 * Checks the file writer's commands as kafka-to-nexus does (reference A.1): a pl72 run start from the job pool and a
 * 6s4t run stop from a job's control topic. Pure: the caller supplies the clock and the running jobs, and sends the
 * `answ` replies (400 for every rejection here).
 *
 * Start rules: the buffer must be a pl72; `job_id` must be an RFC-variant UUID that is not nil; `filename`,
 * `nexus_structure` and `control_topic` must be non-empty; a `start_time` of 0 means now, a `stop_time` of 0 means no
 * stop time ({@linkcode NO_STOP_TIME_MS}, as are larger values); a stop before the start is refused. Whether the
 * structure is valid JSON and whether the file can be created are checked later, when the job starts (500 answers).
 *
 * Stop rules: the buffer must be a 6s4t with a `job_id` of a running job and a valid UUID as `command_id`; a
 * `stop_time` of 0 means stop now.
 *
 * @module
 */
import { NO_STOP_TIME_MS } from "../../../protocols/writer.ts";
import { BadBufferError } from "../../../schemas/errors.ts";
import { pl72, type RunStart } from "../../../schemas/pl72/codec.ts";
import { type RunStop, runStop } from "../../../schemas/6s4t/codec.ts";

/** A run start that passed every check: what the handler needs to plan the job. */
export interface StartRequest {
  jobId: string;
  /** the file name as given (not yet confined to the output prefix). */
  filename: string;
  /** the nexus_structure JSON text (not parsed here). */
  structure: string;
  /** ms since the epoch; the time of the check when the command gave 0. */
  startMs: number;
  /** ms since the epoch; {@linkcode NO_STOP_TIME_MS} when the command gave none. */
  stopMs: number;
  /** opaque, echoed in wrdn. */
  metadata: string;
  controlTopic: string;
  runName: string;
  instrumentName: string;
  /** the pl72 bytes as received, echoed to the control topic when the job starts. */
  raw: Uint8Array;
}

/** A run stop that passed every check. */
export interface StopRequest {
  jobId: string;
  commandId: string;
  /** ms since the epoch; 0: stop now. */
  stopMs: number;
}

/** A refused command: the answ status code and message, with the ids the answer carries ("" when unknown). */
export interface Refusal {
  ok: false;
  code: 400;
  message: string;
  jobId: string;
}

/** The result of {@linkcode validateStart}. */
export type StartCheck = { ok: true; start: StartRequest } | Refusal;

/** The result of {@linkcode validateStop}; a refusal also carries the stop's command id, for the answ. */
export type StopCheck = { ok: true; stop: StopRequest } | Refusal & { commandId: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * Whether `s` is a UUID of the RFC 4122/9562 variant in its canonical 8-4-4-4-12 hexadecimal form (either case). The
 * nil UUID (all zeros) and the max UUID (all `f`) are not of that variant, so they are refused too.
 *
 * @example
 * ```ts
 * isUuid(crypto.randomUUID()); // true
 * isUuid("00000000-0000-0000-0000-000000000000"); // false
 * ```
 */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/**
 * Checks a pl72 run start.
 *
 * @param bytes the Kafka record's value
 * @param nowMs the time a `start_time` of 0 stands for
 * @returns the start, or a 400 refusal naming the first problem (with the job id when the buffer had one)
 */
export function validateStart(bytes: Uint8Array, nowMs: number): StartCheck {
  let run: RunStart;
  try {
    run = pl72.decode(bytes);
  } catch (error) {
    if (!(error instanceof BadBufferError)) throw error;
    return refuse(`Failed to extract start command from flatbuffer: ${error.message}`, "");
  }
  const jobId = run.job_id ?? "";
  const missing = [
    [jobId, "job_id"],
    [run.nexus_structure, "nexus_structure"],
    [run.filename, "filename"],
  ].filter(([value]) => !value).map(([, name]) => `${name} is missing, this field is required`);
  if (missing.length > 0) {
    return refuse(`Failed to extract start command from flatbuffer: ${missing.join("; ")}`, jobId);
  }
  if (!isUuid(jobId)) {
    return refuse(`Rejected start command as the job id was invalid (it was: ${jobId}); it must be a UUID`, jobId);
  }
  if (!run.control_topic) {
    return refuse("Rejected start command as the control topic was empty; a control topic is required", jobId);
  }
  if (run.start_time > BigInt(NO_STOP_TIME_MS)) {
    return refuse(`Rejected start command as the start time ${run.start_time} ms is out of range`, jobId);
  }
  const startMs = run.start_time === 0n ? nowMs : Number(run.start_time);
  const stopMs = run.stop_time === 0n || run.stop_time > BigInt(NO_STOP_TIME_MS)
    ? NO_STOP_TIME_MS
    : Number(run.stop_time);
  if (stopMs < startMs) {
    return refuse(
      `Rejected start command as the stop time (${iso(stopMs)}) is before the start time (${iso(startMs)})`,
      jobId,
    );
  }
  return {
    ok: true,
    start: {
      jobId,
      filename: run.filename!,
      structure: run.nexus_structure!,
      startMs,
      stopMs,
      metadata: run.metadata ?? "",
      controlTopic: run.control_topic,
      runName: run.run_name ?? "",
      instrumentName: run.instrument_name ?? "",
      raw: bytes,
    },
  };
}

/**
 * Checks a 6s4t run stop against the jobs running now.
 *
 * @param bytes the Kafka record's value
 * @param runningJobIds the ids of the jobs this writer runs
 * @returns the stop, or a 400 refusal naming the first problem (with the job and command ids the buffer had)
 */
export function validateStop(bytes: Uint8Array, runningJobIds: readonly string[]): StopCheck {
  let stop: RunStop;
  try {
    stop = runStop.decode(bytes);
  } catch (error) {
    if (!(error instanceof BadBufferError)) throw error;
    return { ...refuse(`Failed to extract stop command from flatbuffer: ${error.message}`, ""), commandId: "" };
  }
  const jobId = stop.job_id ?? "";
  const commandId = stop.command_id ?? "";
  const refusal = (message: string) => ({ ...refuse(message, jobId), commandId });
  if (!jobId) {
    return refusal("Failed to extract stop command from flatbuffer: job_id is missing, this field is required");
  }
  if (runningJobIds.length === 0) return refusal("Rejected stop command as there is no write job in progress");
  if (!runningJobIds.includes(jobId)) {
    return refusal(
      `Rejected stop command as the job id was invalid (it should be ${runningJobIds.join(" or ")}, it was: ${jobId})`,
    );
  }
  if (!isUuid(commandId)) {
    return refusal(`Rejected stop command as the command id was invalid (it was: ${commandId}); it must be a UUID`);
  }
  const stopMs = stop.stop_time > BigInt(NO_STOP_TIME_MS) ? NO_STOP_TIME_MS : Number(stop.stop_time);
  return { ok: true, stop: { jobId, commandId, stopMs } };
}

function refuse(message: string, jobId: string): Refusal {
  return { ok: false, code: 400, message, jobId };
}

/** A time for messages: ISO 8601 when representable, else the ms. */
function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms` : date.toISOString();
}
