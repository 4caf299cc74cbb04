/**
 * `nxflow job start|stop|status`: the client side of the file writer's command protocol (the role ESS's
 * file-writer-control plays). `start` sends a pl72 to the job pool and follows the job's control topic and the
 * command-status topic from just before the send (a refused start is answered on the latter); `stop` sends a 6s4t to
 * the control topic and waits for its answ; `status` collects the writers' x5f2 status for a few seconds.
 *
 * Parsing ({@linkcode parseJobArgs}) is pure; talking with the writer over Kafka and reading its replies is in
 * `job_watch.ts`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { pl72, runStop } from "../../schemas/mod.ts";
import { causeOf } from "../broker/admin.ts";
import { readStatus } from "../writer/command/status.ts";
import { isUuid } from "../writer/command/validate.ts";
import { parseDuration, WRITER_DEFAULTS } from "../writer/options.ts";
import { type Command, UsageError } from "./command.ts";
import { converse, follow, JOB_EXIT, statusLine, watchStart, watchStop, when } from "./job_watch.ts";
import {
  connectKafka,
  KAFKA_FLAGS,
  kafkaDefaults,
  kafkaFromFlags,
  kafkaHelp,
  type KafkaSection,
} from "./kafka_config.ts";

/** The control topic `nxflow job` uses when none is given. */
export const DEFAULT_CONTROL_TOPIC = "nxflow_writer_control";

const HELP = `Usage: nxflow job start --structure FILE.json --filename NAME [--job-id UUID] [--start T] [--stop T]
                        [--metadata JSON] [--control-topic T] [--job-pool-topic T] [--wait] [--timeout D]
       nxflow job stop --job-id UUID [--stop T] [--control-topic T] [--timeout D]
       nxflow job status [--command-status-topic T] [--control-topic T] [--seconds N]

Talks to nxflow's file writer (or ESS kafka-to-nexus) over Kafka:
  start   sends a pl72 run start to the job pool topic; prints the writer's answer (accepted or refused, with its
          message); with --wait also its status while the job runs and the file name (or error) when it ends
  stop    sends a 6s4t run stop (a new command id) to the job's control topic and prints the answer
  status  prints the status of each writer seen within --seconds: service id, state, job, file

Options:
  --structure FILE        the nexus_structure JSON file (start)
  --filename NAME         the file, under the writer's --hdf-output-prefix (start)
  --job-id UUID           start: default a new random UUID; stop: the job to stop
  --start T               start time: ISO 8601 date, ms since the epoch, or now (default now)
  --stop T                start: stop time (ISO 8601, ms, or +DURATION after the start); default none
                          stop: ISO 8601, ms, +DURATION from now, or now (default: stop now)
  --metadata JSON         echoed by the writer in its finished message (start)
  --control-topic T       the job's control topic (default ${DEFAULT_CONTROL_TOPIC}; start creates it if missing)
  --job-pool-topic T      (default ${WRITER_DEFAULTS.jobPoolTopic})
  --command-status-topic T  idle status and refused starts (default ${WRITER_DEFAULTS.commandStatusTopic})
  --wait                  start: follow the job to its end
  --timeout D             how long to wait for the answer, e.g. 30s, 2min; 0 waits forever (default 1min)
  --seconds N             status: how long to listen (default 5)

${kafkaHelp("nxflow-job")}

Exit codes: 0 accepted (start without --wait, stop), finished without error (start --wait), a writer seen (status);
1 refused, the job ended in error, its writer went silent (start --wait: no status for 5 of its periods), no writer
seen, or Kafka failed; 2 bad options; 3 no answer within --timeout (a start then stays in the pool and runs when a
writer takes it); 130 interrupted (the job goes on).

Examples:
  nxflow job start --structure loki.json --filename 2026-11-22_0300.nxs --stop +10min --wait
  nxflow job stop --job-id 3f2504e0-4f89-41d3-9a0c-0305e82c3301
  nxflow job status --seconds 3`;

interface Common {
  kafka: KafkaSection;
  controlTopic: string;
  commandStatusTopic: string;
}

/** The checked arguments of one `nxflow job` action. Times in ms since the epoch; `stopMs` 0 is no stop time (start)
 * or stop now (stop); `timeoutMs` 0 is no limit. */
export type JobArgs = StartArgs | StopArgs | StatusArgs;
/** `nxflow job start`. */
export type StartArgs = Common & { action: "start"; jobPoolTopic: string; structureFile: string; filename: string } & {
  jobId: string;
  startMs: number;
  stopMs: number;
  metadata: string;
  wait: boolean;
  timeoutMs: number;
};
/** `nxflow job stop`. */
export type StopArgs = Common & { action: "stop"; jobId: string; stopMs: number; timeoutMs: number };
/** `nxflow job status`. */
export type StatusArgs = Common & { action: "status"; seconds: number };

const TEXT = { type: "string" } as const;
const FLAG = { type: "boolean" } as const;
const COMMON_FLAGS = { ...KAFKA_FLAGS, "control-topic": TEXT, "command-status-topic": TEXT } as const;
const FLAGS = {
  start: {
    ...COMMON_FLAGS,
    ...{ structure: TEXT, filename: TEXT, "job-id": TEXT, start: TEXT, stop: TEXT, metadata: TEXT },
    ...{ "job-pool-topic": TEXT, wait: FLAG, timeout: TEXT },
  },
  stop: { ...COMMON_FLAGS, "job-id": TEXT, stop: TEXT, timeout: TEXT },
  status: { ...COMMON_FLAGS, seconds: TEXT },
} as const;

type Values = Record<string, string | boolean | undefined>;

/**
 * Parses and checks the arguments after `nxflow job`; a missing `--job-id` of start gets a new random UUID.
 *
 * @param nowMs the time `now` and `+DURATION` stand for
 * @throws {UsageError} for an unknown action or flag, a missing or bad value
 */
export function parseJobArgs(args: string[], nowMs: number): JobArgs {
  const [action, ...rest] = args;
  if (action !== "start" && action !== "stop" && action !== "status") {
    throw new UsageError(`give one of start, stop, status${action === undefined ? "" : `, not "${action}"`}`);
  }
  const values = usage(() => parseArgs({ args: rest, options: FLAGS[action], strict: true }).values as Values);
  const text = (name: string) => values[name] as string | undefined;
  const common: Common = {
    kafka: kafkaFromFlags(values, kafkaDefaults("nxflow-job")),
    controlTopic: topic(text("control-topic"), "control-topic", DEFAULT_CONTROL_TOPIC),
    commandStatusTopic: topic(text("command-status-topic"), "command-status-topic", WRITER_DEFAULTS.commandStatusTopic),
  };
  if (action === "status") {
    const seconds = Number(text("seconds") ?? "5");
    if (!(seconds > 0 && seconds <= 3600)) {
      throw new UsageError(`--seconds must be above 0 and at most 3600, not "${text("seconds")}"`);
    }
    return { action, ...common, seconds };
  }
  const timeoutMs = durationFlag(text("timeout") ?? "1min", "timeout");
  if (action === "stop") {
    const jobId = text("job-id");
    if (!jobId) throw new UsageError("stop needs --job-id");
    if (!isUuid(jobId)) throw new UsageError(`--job-id must be a UUID, not "${jobId}"`);
    const stop = text("stop") ?? "now";
    return { action, ...common, jobId, stopMs: stop === "now" ? 0 : time(stop, "stop", nowMs), timeoutMs };
  }
  const structureFile = text("structure");
  const filename = text("filename");
  if (!structureFile) throw new UsageError("start needs --structure FILE.json");
  if (!filename) throw new UsageError("start needs --filename NAME");
  const jobId = text("job-id") ?? crypto.randomUUID();
  if (!isUuid(jobId)) throw new UsageError(`--job-id must be a UUID, not "${jobId}"`);
  const startMs = time(text("start") ?? "now", "start", nowMs);
  const stop = text("stop");
  const stopMs = stop === undefined ? 0 : time(stop, "stop", startMs);
  if (stop !== undefined && stopMs < startMs) throw new UsageError("--stop is before --start");
  const metadata = text("metadata") ?? "";
  if (metadata) usage(() => JSON.parse(metadata), "--metadata must be JSON: ");
  return {
    action,
    ...common,
    jobPoolTopic: topic(text("job-pool-topic"), "job-pool-topic", WRITER_DEFAULTS.jobPoolTopic),
    ...{ structureFile, filename, jobId, startMs, stopMs, metadata, wait: values.wait === true, timeoutMs },
  };
}

function topic(value: string | undefined, flag: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(value)) {
    throw new UsageError(`--${flag} must be a Kafka topic name, not "${value}"`);
  }
  return value;
}

function durationFlag(value: string, flag: string): number {
  return usage(() => parseDuration(value, `--${flag}`));
}

/** Runs `f`, turning what it throws into a {@linkcode UsageError} (exit code 2) with the same message. */
function usage<T>(f: () => T, prefix = ""): T {
  try {
    return f();
  } catch (error) {
    throw new UsageError(prefix + (error as Error).message);
  }
}

/** A time flag: `now`, ms since the epoch, an ISO 8601 date, or `+DURATION` after `base`. */
function time(value: string, flag: string, base: number): number {
  if (value === "now") return base;
  if (value.startsWith("+")) return base + durationFlag(value.slice(1), flag);
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new UsageError(`--${flag} must be an ISO 8601 date, ms since the epoch, now or +DURATION, not "${value}"`);
  }
  return ms;
}

/**
 * Sends the pl72 of `a` (with this nexus_structure text) and follows the job as `nxflow job start` does; `onSignal`
 * (see {@linkcode converse}) is what a first SIGINT/SIGTERM does instead of giving up.
 */
export function startJob(
  a: StartArgs,
  structure: string,
  connection: ConnectionOptions,
  onSignal?: () => Promise<void>,
): Promise<number> {
  const value = pl72.encode({
    ...{ job_id: a.jobId, filename: a.filename, nexus_structure: structure, metadata: a.metadata },
    ...{ start_time: a.startMs, stop_time: a.stopMs, control_topic: a.controlTopic },
  });
  console.log(`job ${a.jobId}: start (${when(a.startMs)}) to ${a.jobPoolTopic}, file ${a.filename}`);
  return converse(connection, {
    topic: a.jobPoolTopic,
    value,
    read: { topics: [a.controlTopic, a.commandStatusTopic], create: a.controlTopic, require: a.jobPoolTopic },
    timeoutMs: a.timeoutMs,
    noAnswer: `; the job stays in ${a.jobPoolTopic} and starts when a writer takes it`,
    onSignal,
  }, watchStart(a.jobId, a.wait));
}

/** Sends a 6s4t for `a.jobId` to its control topic and prints the writer's answer, as `nxflow job stop` does. */
export function stopJob(a: StopArgs, connection: ConnectionOptions): Promise<number> {
  const commandId = crypto.randomUUID();
  console.log(`job ${a.jobId}: stop (${when(a.stopMs)}) to ${a.controlTopic}, command ${commandId}`);
  return converse(connection, {
    topic: a.controlTopic,
    value: runStop.encode({ job_id: a.jobId, command_id: commandId, stop_time: a.stopMs }),
    read: { topics: [a.controlTopic], require: a.controlTopic },
    timeoutMs: a.timeoutMs,
    noAnswer: `: is job ${a.jobId} running with control topic ${a.controlTopic}?`,
  }, watchStop(commandId));
}

async function showStatus(a: StatusArgs, connection: ConnectionOptions): Promise<number> {
  const latest = new Map<string, string>();
  const { topics, stop } = await follow(connection, { topics: [a.commandStatusTopic, a.controlTopic] }, (bytes) => {
    const s = readStatus(bytes);
    if (s) latest.set(s.serviceId, statusLine(s));
  });
  await new Promise((resolve) => setTimeout(resolve, topics.length ? a.seconds * 1000 : 0));
  await stop();
  for (const id of [...latest.keys()].sort()) console.log(latest.get(id));
  if (latest.size > 0) return JOB_EXIT.ok;
  console.error(`nxflow job: no writer status on ${a.commandStatusTopic} or ${a.controlTopic} within ${a.seconds} s`);
  return JOB_EXIT.failed;
}

async function run(args: string[]): Promise<number> {
  const a = parseJobArgs(args, Date.now());
  const structure = a.action === "start" ? await readStructure(a.structureFile) : "";
  try {
    const connection = await connectKafka(a.kafka, (line) => console.error(`nxflow job: ${line}`));
    if (a.action === "start") return await startJob(a, structure, connection);
    return a.action === "stop" ? await stopJob(a, connection) : await showStatus(a, connection);
  } catch (error) {
    console.error(`nxflow job: ${causeOf(error)}`);
    return JOB_EXIT.failed;
  }
}

/** The nexus_structure file's text; a {@linkcode UsageError} when it cannot be read or is not JSON. */
export async function readStructure(path: string): Promise<string> {
  const text = await Deno.readTextFile(path).catch((error) => {
    throw new UsageError(`cannot read --structure ${path}: ${error.message}`);
  });
  return usage(() => (JSON.parse(text), text), `--structure ${path} is not JSON: `);
}

/** The `job` command. */
export const jobCommand: Command = {
  name: "job",
  summary: "start, stop or watch file writer jobs (pl72/6s4t to the writer's topics; prints answ, x5f2, wrdn)",
  help: HELP,
  run,
};
