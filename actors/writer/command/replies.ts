/**
 * The file writer's replies to commands, in kafka-to-nexus's form (reference A.1): the `answ` answer to a start or a
 * stop, and the `wrdn` notice when a job's file is closed. Encoded by the writer, read back by `nxflow job`.
 *
 * @module
 */
import { answ } from "../../../schemas/answ/codec.ts";
import { BadBufferError } from "../../../schemas/errors.ts";
import { fileIdentifier } from "../../../schemas/reader.ts";
import { wrdn } from "../../../schemas/wrdn/codec.ts";

/** The fields of an answ answer. */
export interface AnswInput {
  serviceId: string;
  jobId: string;
  action: "StartJob" | "SetStopTime";
  outcome: "Success" | "Failure";
  /** HTTP-like: 201 accepted, 400 refused command, 500 failed to start or to set the stop time. */
  statusCode: number;
  /** the job's stop time in ms (`NO_STOP_TIME_MS` when open-ended). */
  stopMs: number;
  message: string;
  /** for a start, the job id; for a stop, the 6s4t command id. */
  commandId: string;
}

/** The fields of a wrdn notice. */
export interface WrdnInput {
  serviceId: string;
  jobId: string;
  /** set when the job ended in error: `error_encountered` and the message. */
  error?: string;
  /** the full path: output prefix + file name. */
  fileName: string;
  /** the pl72 metadata, echoed. */
  metadata: string;
}

/** Encodes an answ (ActionResponse). */
export function answMessage(input: AnswInput): Uint8Array {
  return answ.encode({
    service_id: input.serviceId,
    job_id: input.jobId,
    action: input.action,
    outcome: input.outcome,
    status_code: input.statusCode,
    stop_time: input.stopMs,
    message: input.message,
    command_id: input.commandId,
  });
}

/** Encodes a wrdn (FinishedWriting); `error_encountered` is true exactly when `error` is given. */
export function wrdnMessage(input: WrdnInput): Uint8Array {
  return wrdn.encode({
    service_id: input.serviceId,
    job_id: input.jobId,
    error_encountered: input.error !== undefined,
    file_name: input.fileName,
    metadata: input.metadata,
    message: input.error ?? "",
  });
}

/** A reply read back: an answ or a wrdn, with the fields the encoders take. */
export type WriterReply = { kind: "answ" } & AnswInput | { kind: "wrdn" } & WrdnInput;

/**
 * Reads an answ or wrdn message (from nxflow's writer or kafka-to-nexus); null for any other or a broken message.
 * An answ with an action or outcome outside the schema's enums is read as a failed stop.
 */
export function readReply(bytes: Uint8Array): WriterReply | null {
  try {
    const id = fileIdentifier(bytes);
    if (id === "answ") {
      const m = answ.decode(bytes);
      return {
        kind: "answ",
        serviceId: m.service_id,
        jobId: m.job_id,
        action: m.action === "StartJob" ? "StartJob" : "SetStopTime",
        outcome: m.outcome === "Success" ? "Success" : "Failure",
        statusCode: m.status_code,
        stopMs: Number(m.stop_time),
        message: m.message ?? "",
        commandId: m.command_id ?? "",
      };
    }
    if (id !== "wrdn") return null;
    const m = wrdn.decode(bytes);
    const reply: WriterReply = {
      kind: "wrdn",
      serviceId: m.service_id,
      jobId: m.job_id,
      fileName: m.file_name,
      metadata: m.metadata ?? "",
    };
    if (m.error_encountered) reply.error = m.message ?? "";
    return reply;
  } catch (error) {
    if (error instanceof BadBufferError) return null;
    throw error;
  }
}
