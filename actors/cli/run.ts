/**
 * `nxflow run start|stop`: takes a run on the running system (`nxflow start`'s default roles) with the simulated
 * instrument's NeXus structure (or `--structure FILE`). It is `nxflow job` with the system's defaults: the same pl72
 * and 6s4t to the writer's ordinary topics, sent and followed by `job.ts`/`job_watch.ts`.
 *
 * - `start` sends the run start, with a stop time `--duration` after it (none: the run goes on until `run stop`);
 *   `--title` replaces the structure's `title` dataset of its NXentry (or adds one). With `--wait` it follows the run
 *   and prints the file when the writer has finished it. Ctrl-C first stops the run now, so the writer closes the
 *   file, and waits for that; a second Ctrl-C gives up waiting.
 * - `stop` stops every run the writers report writing (their x5f2 status), now.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { NO_STOP_TIME_MS } from "../../protocols/writer.ts";
import { runStop } from "../../schemas/mod.ts";
import { causeOf } from "../broker/admin.ts";
import { produceRecords } from "../broker/client.ts";
import { SYSTEM_FILES } from "../common/system/defaults.ts";
import { runFilename, withTitle } from "../common/system/runs.ts";
import { readStatus } from "../writer/command/status.ts";
import { parseDuration, WRITER_DEFAULTS } from "../writer/options.ts";
import { type Command, UsageError } from "./command.ts";
import { DEFAULT_CONTROL_TOPIC, readStructure, type StartArgs, startJob, stopJob } from "./job.ts";
import { follow, JOB_EXIT } from "./job_watch.ts";
import { connectKafka, KAFKA_FLAGS, kafkaDefaults, kafkaFromFlags, kafkaHelp } from "./kafka_config.ts";

const HELP =
  `Usage: nxflow run start [--duration D] [--title T] [--wait] [--structure FILE] [--filename NAME] [--timeout D]
       nxflow run stop [--timeout D]

Takes a run on the system that nxflow start runs (its file writer, on its Kafka):
  start   starts writing a NeXus file of the simulated instrument now (the writer's pl72 run start)
  stop    stops the runs being written, now (a 6s4t to each)

Options:
  --duration D       start: stop the run D after its start, e.g. 20s, 5min (default: until nxflow run stop)
  --title T          start: the entry's title (default the structure's)
  --wait             start: follow the run and print the file's path when the writer has finished it;
                     Ctrl-C then stops the run first and waits for the file
  --structure FILE   start: a nexus_structure JSON file (default the simulated instrument's:
                     ${SYSTEM_FILES.structure})
  --filename NAME    start: the file, under the writer's output folder (default run_<UTC time>.nxs)
  --timeout D        how long to wait for the writer's answer; 0 waits forever (default 1min)

${kafkaHelp("nxflow-run")}

Exit codes: 0 accepted (start), finished (start --wait), stopped (stop); 1 refused, failed, no run to stop, or Kafka
failed; 2 bad options; 3 no answer within --timeout; 130 interrupted twice.

Examples:
  deno task nxflow run start --duration 10s --wait
  deno task nxflow run start --title "sample A, 300 K"
  deno task nxflow run stop`;

export { runFilename, withTitle };

const TEXT = { type: "string" } as const;
const FLAGS = {
  ...KAFKA_FLAGS,
  duration: TEXT,
  title: TEXT,
  wait: { type: "boolean" },
  structure: TEXT,
  filename: TEXT,
  timeout: TEXT,
} as const;

function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

async function start(values: Record<string, string | boolean | undefined>): Promise<number> {
  const nowMs = Date.now();
  const text = (name: string) => values[name] as string | undefined;
  const durationMs = text("duration") === undefined ? 0 : usage(() => parseDuration(text("duration")!, "--duration"));
  if (text("duration") !== undefined && durationMs <= 0) throw new UsageError("--duration must be above 0");
  let structure = await readStructure(text("structure") ?? SYSTEM_FILES.structure);
  if (text("title") !== undefined) structure = usage(() => withTitle(structure, text("title")!));
  const a: StartArgs = {
    action: "start",
    kafka: kafkaFromFlags(values, kafkaDefaults("nxflow-run")),
    controlTopic: DEFAULT_CONTROL_TOPIC,
    commandStatusTopic: WRITER_DEFAULTS.commandStatusTopic,
    jobPoolTopic: WRITER_DEFAULTS.jobPoolTopic,
    structureFile: text("structure") ?? SYSTEM_FILES.structure,
    filename: text("filename") ?? runFilename(nowMs),
    jobId: crypto.randomUUID(),
    startMs: nowMs,
    stopMs: durationMs ? nowMs + durationMs : NO_STOP_TIME_MS,
    metadata: "",
    wait: values.wait === true,
    timeoutMs: usage(() => parseDuration(text("timeout") ?? "1min", "--timeout")),
  };
  const connection = await connectKafka(a.kafka, (line) => console.error(`nxflow run: ${line}`));
  const stopNow = async () => {
    console.error(
      `nxflow run: stopping run ${a.jobId} now; waiting for the writer to finish the file (Ctrl-C again: leave)`,
    );
    const value = runStop.encode({ job_id: a.jobId, command_id: crypto.randomUUID(), stop_time: 0 });
    await produceRecords(connection, [{ topic: a.controlTopic, value }]);
  };
  return await startJob(a, structure, connection, a.wait ? stopNow : undefined);
}

async function stop(values: Record<string, string | boolean | undefined>): Promise<number> {
  const kafka = kafkaFromFlags(values, kafkaDefaults("nxflow-run"));
  const timeoutMs = usage(() => parseDuration((values.timeout as string | undefined) ?? "1min", "--timeout"));
  const connection = await connectKafka(kafka, (line) => console.error(`nxflow run: ${line}`));
  const jobs = await writingJobs(connection);
  if (jobs.size === 0) {
    console.error("nxflow run: no writer reports a run being written");
    return JOB_EXIT.failed;
  }
  let code: number = JOB_EXIT.ok;
  for (const [jobId, filename] of jobs) {
    console.log(`run ${jobId} (${filename}):`);
    const one = await stopJob({
      action: "stop",
      kafka,
      controlTopic: DEFAULT_CONTROL_TOPIC,
      commandStatusTopic: WRITER_DEFAULTS.commandStatusTopic,
      jobId,
      stopMs: 0,
      timeoutMs,
    }, connection);
    if (one !== JOB_EXIT.ok) code = one;
  }
  return code;
}

/** The jobs the writers report writing in their status within a few of their status periods (job id → file). */
async function writingJobs(connection: ConnectionOptions): Promise<Map<string, string>> {
  const jobs = new Map<string, string>();
  let firstSeen = 0;
  const topics = [DEFAULT_CONTROL_TOPIC, WRITER_DEFAULTS.commandStatusTopic];
  const { stop } = await follow(connection, { topics }, (bytes) => {
    const s = readStatus(bytes);
    if (s?.job && s.state === "writing") {
      jobs.set(s.job.jobId, s.job.filename);
      firstSeen ||= Date.now();
    }
  });
  const deadline = Date.now() + 6000;
  while (Date.now() < deadline && !(firstSeen && Date.now() - firstSeen > 500)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  return jobs;
}

async function run(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== "start" && action !== "stop") {
    throw new UsageError(`give start or stop${action === undefined ? "" : `, not "${action}"`}`);
  }
  const values = usage(() => parseArgs({ args: rest, options: FLAGS, strict: true }).values);
  if (action === "stop") {
    for (const flag of ["duration", "title", "wait", "structure", "filename"]) {
      if (flag in values) throw new UsageError(`--${flag} is an option of run start`);
    }
  }
  try {
    return action === "start" ? await start(values) : await stop(values);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`nxflow run: ${causeOf(error)}`);
    return JOB_EXIT.failed;
  }
}

/** The `run` command. */
export const runCommand: Command = {
  name: "run",
  summary: "take a run on the running system: start (--duration, --wait) or stop writing a NeXus file",
  help: HELP,
  run,
};
