/**
 * How `nxflow job` talks with the file writer over Kafka: it reads the topics the answers come on from their current
 * end ({@linkcode follow}), sends one command and prints what the writer answers until the answer ends the command
 * ({@linkcode converse}). Reading the writer's messages ({@linkcode watchStart}, {@linkcode watchStop},
 * {@linkcode statusLine}) is pure.
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { NO_STOP_TIME_MS } from "../../protocols/writer.ts";
import { BrokerAdmin } from "../broker/admin.ts";
import { produceRecords, readTopics } from "../broker/client.ts";
import { type AnswInput, readReply } from "../writer/command/replies.ts";
import { readStatus, type WriterStatus } from "../writer/command/status.ts";

/** Exit codes of `nxflow job` (bad options: 2, from the command frame). */
export const JOB_EXIT = { ok: 0, failed: 1, noAnswer: 3, interrupted: 130 } as const;

/** What one writer message means to the waiting command: a line to print, and the exit code when it ends it. */
export interface Seen {
  line?: string;
  exitCode?: number;
  /** the writer should say more within this long; silence past it means it died with the job (exit 1). */
  nextWithinMs?: number;
}

/** Status periods a job may stay silent before `nxflow job start --wait` gives up on its writer. */
const MISSED_STATUS = 5;

/** A time of a command as text: "none" for no stop time, "now" for 0, else ISO 8601. */
export const when = (ms: number): string =>
  ms === NO_STOP_TIME_MS ? "none" : ms === 0 ? "now" : new Date(ms).toISOString();

/**
 * Follows a started job through the writer's messages: its start answ (accepted or refused), and with `wait` its
 * status, stop answers and the wrdn that ends it. Without `wait` an accepted start ends the command.
 */
export function watchStart(jobId: string, wait: boolean): (bytes: Uint8Array) => Seen {
  return (bytes) => {
    const status = readStatus(bytes);
    if (status) {
      if (!wait || status.job?.jobId !== jobId) return {};
      return {
        line: `status ${status.serviceId}: ${status.state} ${status.job.filename} (stop ${when(status.job.stopMs)})`,
        nextWithinMs: Math.max(5000, MISSED_STATUS * status.intervalMs),
      };
    }
    const r = readReply(bytes);
    if (r === null || r.jobId !== jobId) return {};
    if (r.kind === "answ" && r.action === "StartJob") {
      if (r.outcome === "Failure") {
        return { line: `refused (${r.statusCode}): ${r.message}`, exitCode: JOB_EXIT.failed };
      }
      if (!wait) return { line: `accepted by ${r.serviceId}: ${r.message}`, exitCode: JOB_EXIT.ok };
      return { line: `accepted by ${r.serviceId}: ${r.message}`, nextWithinMs: 60_000 };
    }
    if (!wait) return {};
    if (r.kind === "answ") return { line: `stop ${answer(r)}` };
    if (r.error !== undefined) return { line: `failed: ${r.error} (file ${r.fileName})`, exitCode: JOB_EXIT.failed };
    return { line: `finished: ${r.fileName}`, exitCode: JOB_EXIT.ok };
  };
}

/** Waits for the answ to one stop command, matched by its command id. */
export function watchStop(commandId: string): (bytes: Uint8Array) => Seen {
  return (bytes) => {
    const r = readReply(bytes);
    if (r?.kind !== "answ" || r.commandId !== commandId) return {};
    return { line: answer(r), exitCode: r.outcome === "Success" ? JOB_EXIT.ok : JOB_EXIT.failed };
  };
}

function answer(r: AnswInput): string {
  return `${r.outcome === "Success" ? `accepted by ${r.serviceId}` : `refused (${r.statusCode})`}: ${r.message}`;
}

/** A writer's status as one line: service id, state, job, file. */
export function statusLine(s: WriterStatus): string {
  return `${s.serviceId}  ${s.state}  job=${s.job?.jobId ?? "-"}  file=${s.job?.filename ?? "-"}`;
}

/** Topics to read, one to create when missing, and one that must exist. */
export type FollowPlan = { topics: string[]; create?: string; require?: string };

/**
 * Reads those of `topics` that exist from the offsets they have now (after creating `create` when missing, and
 * checking that `require` exists); returns the topics read and the function that stops reading.
 */
export async function follow(
  connection: ConnectionOptions,
  want: FollowPlan,
  onRecord: (value: Uint8Array) => void,
): Promise<{ topics: string[]; stop: () => Promise<void> }> {
  const admin = await BrokerAdmin.connect(connection);
  try {
    if (want.create) await admin.createTopics([{ topic: want.create }]);
    if (want.require && !(await admin.topicExists(want.require))) {
      throw new Error(`the topic "${want.require}" does not exist: is a file writer running?`);
    }
  } finally {
    await admin.close();
  }
  return await readTopics(connection, want.topics, "end", (r) => onRecord(r.value));
}

/**
 * Follows the answer topics, sends the command (`value` to `topic`), and prints what `watch` makes of each message
 * until it gives an exit code, the timeout passes before the first line (then says so, ending with `noAnswer`), the
 * writer stays silent longer than it said it would (`Seen.nextWithinMs`; exit 1), or a signal comes. With `onSignal`,
 * the first signal runs it (e.g. sends a stop so that the writer finishes the file) and the watch goes on; a second
 * signal, or a failing `onSignal`, ends it.
 */
export async function converse(
  connection: ConnectionOptions,
  c: {
    topic: string;
    value: Uint8Array;
    read: FollowPlan;
    timeoutMs: number;
    noAnswer: string;
    onSignal?: () => Promise<void>;
  },
  watch: (bytes: Uint8Array) => Seen,
): Promise<number> {
  let finish = (_code: number) => {};
  const done = new Promise<number>((resolve) => finish = resolve);
  let answered = false;
  let silence: ReturnType<typeof setTimeout> | undefined;
  const { stop } = await follow(connection, c.read, (bytes) => {
    const seen = watch(bytes);
    if (seen.line) console.log(seen.line);
    answered ||= seen.line !== undefined;
    if (seen.nextWithinMs !== undefined) {
      clearTimeout(silence);
      silence = setTimeout(() => {
        console.error(`nxflow job: the writer said nothing of the job for ${seen.nextWithinMs! / 1000} s: it stopped`);
        finish(JOB_EXIT.failed);
      }, seen.nextWithinMs);
    }
    if (seen.exitCode !== undefined) finish(seen.exitCode);
  });
  let signalled = false;
  const interrupt = () => {
    if (!c.onSignal || signalled) return finish(JOB_EXIT.interrupted);
    signalled = true;
    c.onSignal().catch((error) => {
      console.error(`nxflow job: ${(error as Error).message}`);
      finish(JOB_EXIT.interrupted);
    });
  };
  const timer = c.timeoutMs > 0 ? setTimeout(() => answered || finish(JOB_EXIT.noAnswer), c.timeoutMs) : undefined;
  for (const signal of SIGNALS) Deno.addSignalListener(signal, interrupt);
  try {
    await produceRecords(connection, [{ topic: c.topic, value: c.value }]);
    const code = await done;
    if (code === JOB_EXIT.noAnswer) {
      console.error(`nxflow job: no writer answered within ${c.timeoutMs / 1000} s${c.noAnswer}`);
    }
    if (code === JOB_EXIT.interrupted) console.error("nxflow job: interrupted; the writer goes on with the job");
    return code;
  } finally {
    clearTimeout(timer);
    clearTimeout(silence);
    for (const signal of SIGNALS) Deno.removeSignalListener(signal, interrupt);
    await stop();
  }
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
