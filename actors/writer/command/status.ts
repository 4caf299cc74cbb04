/**
 * The file writer's identity and its x5f2 status messages, in kafka-to-nexus's form (reference A.1 "x5f2 Status" and
 * "Service id"), with `software_name` "nxflow-writer". Encoded by the writer, read back by `nxflow job status`.
 *
 * @module
 */
import { fileIdentifier } from "../../../schemas/reader.ts";
import { x5f2 } from "../../../schemas/x5f2/codec.ts";

/** The x5f2 `software_name` of nxflow's file writer. */
export const SOFTWARE_NAME = "nxflow-writer";

/** The job a status message describes. */
export interface StatusJob {
  jobId: string;
  /** the file name as given in the pl72. */
  filename: string;
  startMs: number;
  /** `NO_STOP_TIME_MS` when open-ended; 0 after "stop now". */
  stopMs: number;
}

/** What a status message carries besides the host and process. */
export interface StatusMessageInput {
  serviceId: string;
  /** nxflow's version. */
  version: string;
  /** how often status is sent (x5f2 `update_interval`). */
  intervalMs: number;
  /** from {@linkcode statusJson}. */
  statusJson: string;
}

/**
 * The writer's service id: `nxflow-writer:<hostname>-pid:<pid>-<4 hex>`, or `<name>-pid:<pid>-<4 hex>` with a
 * service name (four random hex digits, so two processes that reuse a pid differ).
 *
 * @example
 * ```ts
 * serviceId(); // "nxflow-writer:host1-pid:4242-a3f0"
 * serviceId("writer-loki"); // "writer-loki-pid:4242-07bc"
 * ```
 */
export function serviceId(serviceName?: string): string {
  const random = crypto.getRandomValues(new Uint8Array(2));
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
  const base = serviceName ? serviceName : `${SOFTWARE_NAME}:${Deno.hostname()}`;
  return `${base}-pid:${Deno.pid}-${hex}`;
}

/**
 * The x5f2 `status_json` of a writer: `{"state","job_id","file_being_written","start_time","stop_time"}`, idle
 * (`"idle"`, `"not_currently_writing"`, `""`, 0, 0) when `job` is null, else `"writing"` with the job's values.
 */
export function statusJson(job: StatusJob | null): string {
  if (job === null) {
    return JSON.stringify({
      state: "idle",
      job_id: "not_currently_writing",
      file_being_written: "",
      start_time: 0,
      stop_time: 0,
    });
  }
  return JSON.stringify({
    state: "writing",
    job_id: job.jobId,
    file_being_written: job.filename,
    start_time: job.startMs,
    stop_time: job.stopMs,
  });
}

/** Encodes the writer's x5f2 status message (host name and process id of this process). */
export function statusMessage(input: StatusMessageInput): Uint8Array {
  return x5f2.encode({
    software_name: SOFTWARE_NAME,
    software_version: input.version,
    service_id: input.serviceId,
    host_name: Deno.hostname(),
    process_id: Deno.pid,
    update_interval: input.intervalMs,
    status_json: input.statusJson,
  });
}

/** A writer's status read back from its x5f2. */
export interface WriterStatus {
  serviceId: string;
  /** "nxflow-writer", "kafka-to-nexus", ... */
  softwareName: string;
  /** "idle" or "writing". */
  state: string;
  /** null when idle. */
  job: StatusJob | null;
  /** the writer's status period (x5f2 update_interval), ms. */
  intervalMs: number;
}

/**
 * Reads a file writer's x5f2 status (nxflow's or kafka-to-nexus's); null for any other message, a broken one, or an
 * x5f2 whose status JSON has no `state` (another service's).
 */
export function readStatus(bytes: Uint8Array): WriterStatus | null {
  let json: Record<string, unknown>;
  let serviceId: string;
  let softwareName: string;
  let intervalMs: number;
  try {
    if (fileIdentifier(bytes) !== "x5f2") return null;
    const m = x5f2.decode(bytes);
    json = JSON.parse(m.status_json ?? "");
    serviceId = m.service_id ?? "";
    softwareName = m.software_name ?? "";
    intervalMs = Number(m.update_interval ?? 0);
  } catch (error) {
    if (error instanceof SyntaxError) return null; // a BadBufferError, or status JSON that is not JSON
    throw error;
  }
  if (json === null || typeof json !== "object" || typeof json.state !== "string") return null;
  const job = json.state === "idle" ? null : {
    jobId: String(json.job_id ?? ""),
    filename: String(json.file_being_written ?? ""),
    startMs: Number(json.start_time ?? 0),
    stopMs: Number(json.stop_time ?? 0),
  };
  return { serviceId, softwareName, state: json.state, job, intervalMs };
}
