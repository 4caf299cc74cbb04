/**
 * The file writer's command handler (`writer/handler`), kafka-to-nexus's command protocol as an actor: takes `pl72`
 * run starts from the job pool (a consumer group shared by every writer; a writer running `maxJobs` jobs leaves the
 * group until one ends), checks them, asks the job manager on the main thread to start the job's actors, and
 * answers; reads `6s4t` stops on each job's control topic; sends `x5f2` status, `answ` replies, the echoed `pl72` and
 * `wrdn` through the producer actor. Speaks protocols/writer.ts (`HandlerProtocol`). Restart: permanent.
 *
 * Answers (kafka-to-nexus's): 400 for a command that fails validation (broken pl72, bad job id, empty file name,
 * structure or control topic, a `..` in the file name, a stop for no running job, a bad command id), 500 for a job
 * that cannot start (structure JSON that does not parse, an unknown writer module, an existing file, a missing
 * folder) or a stop time that can no longer be set. A refused start is answered on the command topic; an accepted
 * one gets its pl72 echoed and a 201 on its control topic, and everything about the job goes there until its `wrdn`.
 *
 * After a restart the handler asks the job manager for the running jobs and reads their control topics again: a
 * stop command it had answered may be answered twice (applying it again changes nothing).
 *
 * @module
 */
import type { HandlerConfig, HandlerProtocol, JobPlan, JobStats } from "../../protocols/writer.ts";
import { NO_STOP_TIME_MS } from "../../protocols/writer.ts";
import { BrokerAdmin } from "../broker/admin.ts";
import { type ListenedMessage, TopicListener } from "../broker/listener.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { type ActorContext, defineActor } from "../runtime/actor.ts";
import { fileIdentifier } from "../../schemas/reader.ts";
import { checkOutputPath, resolveOutputPath } from "./command/paths.ts";
import { answMessage, wrdnMessage } from "./command/replies.ts";
import { statusJson, statusMessage } from "./command/status.ts";
import { validateStart, validateStop } from "./command/validate.ts";
import { parseStructure, streamsOf } from "./nexus/structure.ts";

type Ctx = ActorContext<HandlerProtocol>;

interface Job {
  plan: JobPlan;
  /** the file writer's counters, reported in status. */
  stats?: JobStats;
  /** control topic messages older than this are not commands for this job. */
  since: number;
  /** why the job was stopped by the handler (its control topic could not be read): the error of its wrdn. */
  failure?: string;
}

interface State {
  config: HandlerConfig;
  outbox: ProducerOutbox;
  jobs: Map<string, Job>;
  /** jobs waiting for the job manager's answer. */
  starting: Map<string, (outcome: { ok: boolean; message?: string }) => void>;
  pool: TopicListener | null;
  joining: boolean;
  controls: Map<string, TopicListener>;
  timer: ReturnType<typeof setInterval> | undefined;
  stats: {
    jobsStarted: number;
    jobsFinished: number;
    jobsFailed: number;
    rejectedCommands: number;
    ignoredMessages: number;
  };
}

const fmt = (ms: number) => ms === NO_STOP_TIME_MS ? "none" : new Date(ms).toISOString();

export default defineActor<HandlerProtocol, HandlerConfig, State>({
  init(config, ctx) {
    const state: State = {
      config,
      outbox: new ProducerOutbox(ctx.port("records")),
      jobs: new Map(),
      starting: new Map(),
      pool: null,
      joining: false,
      controls: new Map(),
      timer: undefined,
      stats: { jobsStarted: 0, jobsFinished: 0, jobsFailed: 0, rejectedCommands: 0, ignoredMessages: 0 },
    };
    state.timer = setInterval(() => sendStatus(state), config.statusIntervalMs);
    ctx.emit({ type: "hello" });
    return state;
  },
  async handle(state, msg, ctx) {
    switch (msg.type) {
      case "jobs":
        for (const plan of msg.plans) await adopt(state, ctx, plan);
        return joinPool(state, ctx);
      case "jobStarted":
        return state.starting.get(msg.jobId)?.({ ok: true });
      case "jobFailed":
        return state.starting.get(msg.jobId)?.({ ok: false, message: msg.message });
      case "jobFinished":
        return finished(state, ctx, msg.jobId, msg.error, msg.stats);
      case "jobProgress": {
        const job = state.jobs.get(msg.jobId);
        if (job) job.stats = msg.stats;
        return;
      }
    }
  },
  requests: {
    stats: (state) => ({ ...state.stats, running: state.jobs.size }),
  },
  /** Stopped after the jobs (their files finished and reported): the last wrdn messages go out before it ends. */
  async terminate(state) {
    clearInterval(state.timer);
    await Promise.race([state.outbox.drained(), new Promise((r) => setTimeout(r, 5000))]);
    await state.pool?.stop();
    for (const c of state.controls.values()) await c.stop();
  },
});

/** Crashes the actor outside the Kafka client's callbacks (its supervisor restarts it with fresh consumers). */
function crashLater(reason: string): void {
  setTimeout(() => {
    throw new Error(reason);
  });
}

function log(ctx: Ctx, level: "info" | "warn" | "error", message: string): void {
  ctx.emit({ type: "log", level, message });
}

/** Joins the job pool when there is room for a job and it is not in it. */
async function joinPool(state: State, ctx: Ctx): Promise<void> {
  if (state.joining || (state.pool && !state.pool.stopped) || state.jobs.size >= state.config.maxJobs) return;
  state.joining = true;
  try {
    state.pool = await TopicListener.start({
      connection: state.config.connection,
      topic: state.config.jobPoolTopic,
      mode: "shared",
      groupId: state.config.poolGroupId,
      onMessage: (m) => onPoolMessage(state, ctx, m),
      onFailure: (error) => crashLater(`the job pool consumer stopped: ${error}`),
    });
  } finally {
    state.joining = false;
  }
}

async function onPoolMessage(state: State, ctx: Ctx, m: ListenedMessage): Promise<"continue" | "leave"> {
  if (m.value.length < 8 || fileIdentifier(m.value) !== "pl72") {
    state.stats.ignoredMessages++;
    return "continue";
  }
  await start(state, ctx, m.value);
  return state.jobs.size >= state.config.maxJobs ? "leave" : "continue";
}

async function start(state: State, ctx: Ctx, bytes: Uint8Array): Promise<void> {
  const c = state.config;
  const checked = validateStart(bytes, Date.now());
  if (!checked.ok) return refuse(state, ctx, checked.jobId, 400, checked.message);
  const s = checked.start;
  if (state.jobs.has(s.jobId)) return refuse(state, ctx, s.jobId, 400, `job ${s.jobId} is already being written`);
  let path: string;
  try {
    path = resolveOutputPath(c.hdfOutputPrefix, s.filename);
  } catch (error) {
    return refuse(state, ctx, s.jobId, 400, `Failed to start filewriting job: ${(error as Error).message}`);
  }
  const plan: JobPlan = {
    jobId: s.jobId,
    filename: s.filename,
    path,
    structure: s.structure,
    startMs: s.startMs,
    stopMs: s.stopMs,
    metadata: s.metadata,
    controlTopic: s.controlTopic,
    partitions: [],
    timeBeforeStartMs: c.timeBeforeStartMs,
    timeAfterStopMs: c.timeAfterStopMs,
    flushIntervalMs: c.flushIntervalMs,
    maxQueuedBytes: c.maxQueuedBytes,
    creator: `nxflow ${c.version}`,
  };
  try {
    await checkOutputPath(path);
    // an unknown writer module is found by the file writer when it opens the file: the start then fails (500)
    const { streams } = streamsOf(parseStructure(s.structure));
    await findPartitions(
      c,
      plan,
      streams.map((p) => ({ topic: String(p.config.topic), source: String(p.config.source) })),
    );
  } catch (error) {
    const why = (error as Error).name === "StructureError"
      ? `Could not parse NeXus structure JSON: ${(error as Error).message}`
      : (error as Error).message;
    return refuse(state, ctx, s.jobId, 500, `Failed to start filewriting job: ${why}`);
  }
  const outcome = await new Promise<{ ok: boolean; message?: string }>((resolve) => {
    state.starting.set(plan.jobId, resolve);
    ctx.emit({ type: "startJob", plan });
  });
  state.starting.delete(plan.jobId);
  if (!outcome.ok) {
    state.stats.jobsFailed++;
    return refuse(state, ctx, s.jobId, 500, `Failed to start filewriting job: ${outcome.message}`);
  }
  state.stats.jobsStarted++;
  send(state, s.controlTopic, s.raw);
  const message = `Started write job with start time ${fmt(plan.startMs)} and stop time ${fmt(plan.stopMs)}.`;
  send(state, s.controlTopic, answ(state, plan.jobId, "StartJob", 201, plan.stopMs, message, plan.jobId));
  log(ctx, "info", `job ${plan.jobId}: writing ${plan.path} (${message})`);
  await adopt(state, ctx, plan);
}

/** Every partition of every stream topic; a missing topic makes the plan a failure (the file is still made). */
async function findPartitions(c: HandlerConfig, plan: JobPlan, streams: { topic: string; source: string }[]) {
  if (streams.length === 0) return;
  const admin = await BrokerAdmin.connect(c.connection);
  try {
    const topics = new Set<string>();
    for (const { topic, source } of streams) {
      if (topics.has(topic)) continue;
      if (!(await admin.topicExists(topic))) {
        plan.failure = `Unable to set up consumer for source ${source} on topic ${topic} as this topic does not exist.`;
        plan.partitions = [];
        return;
      }
      topics.add(topic);
      for (const p of await admin.partitions(topic)) plan.partitions.push({ topic, partition: p.partition });
    }
  } finally {
    await admin.close();
  }
}

/**
 * Takes a running job under watch: its control topic and its status. A job whose control topic cannot be read could
 * never be stopped: it is stopped now, and its wrdn says why (on the command topic too, the control topic being
 * unusable). Never throws.
 */
async function adopt(state: State, ctx: Ctx, plan: JobPlan): Promise<void> {
  if (!state.jobs.has(plan.jobId)) state.jobs.set(plan.jobId, { plan, since: Math.min(plan.startMs, Date.now()) });
  if (state.controls.has(plan.controlTopic)) return;
  try {
    const listener = await TopicListener.start({
      connection: state.config.connection,
      topic: plan.controlTopic,
      mode: "all",
      onMessage: (m) => onControlMessage(state, ctx, m),
      onFailure: (error) => crashLater(`the control topic consumer of ${plan.controlTopic} stopped: ${error}`),
    });
    state.controls.set(plan.controlTopic, listener);
  } catch (error) {
    const failure =
      `Cannot read the control topic ${plan.controlTopic} for stop commands: ${(error as Error).message}` +
      "; the job was stopped";
    for (const job of state.jobs.values()) {
      if (job.plan.controlTopic !== plan.controlTopic) continue;
      job.failure = failure;
      log(ctx, "error", `job ${job.plan.jobId}: ${failure}`);
      ctx.emit({ type: "stopJob", jobId: job.plan.jobId, stopMs: 0 });
    }
  }
  sendStatus(state);
}

function onControlMessage(state: State, ctx: Ctx, m: ListenedMessage): Promise<void> {
  if (m.value.length < 8) return Promise.resolve();
  const id = fileIdentifier(m.value);
  if (id !== "6s4t") return Promise.resolve(); // our own pl72 echo, answ, x5f2, wrdn, and others' messages
  const here = [...state.jobs.values()].filter((j) => j.plan.controlTopic === m.topic);
  if (here.every((j) => m.timestampMs < j.since)) return Promise.resolve(); // older than every job on this topic
  const checked = validateStop(m.value, here.map((j) => j.plan.jobId));
  if (!checked.ok) {
    state.stats.rejectedCommands++;
    send(state, m.topic, answ(state, checked.jobId, "SetStopTime", 400, 0, checked.message, checked.commandId));
    return Promise.resolve();
  }
  const { jobId, commandId, stopMs } = checked.stop;
  const job = state.jobs.get(jobId)!;
  if (stopMs === 0) {
    job.plan.stopMs = 0;
    ctx.emit({ type: "stopJob", jobId, stopMs: 0 });
    send(state, m.topic, answ(state, jobId, "SetStopTime", 201, 0, "Attempting to stop writing job now.", commandId));
    return Promise.resolve();
  }
  const now = Date.now();
  if (job.plan.stopMs !== NO_STOP_TIME_MS && job.plan.stopMs < now && stopMs !== job.plan.stopMs) {
    state.stats.rejectedCommands++;
    const why = `Unable to set stop time: the job's stop time ${fmt(job.plan.stopMs)} has passed`;
    send(state, m.topic, answ(state, jobId, "SetStopTime", 500, stopMs, why, commandId));
    return Promise.resolve();
  }
  job.plan.stopMs = stopMs;
  ctx.emit({ type: "stopJob", jobId, stopMs });
  const message = `File writing job stop time set to: ${fmt(stopMs)}`;
  send(state, m.topic, answ(state, jobId, "SetStopTime", 201, stopMs, message, commandId));
  return Promise.resolve();
}

async function finished(state: State, ctx: Ctx, jobId: string, error: string | undefined, stats: JobStats) {
  const job = state.jobs.get(jobId);
  if (!job) return;
  state.jobs.delete(jobId);
  state.stats.jobsFinished++;
  const { plan } = job;
  error = job.failure ?? error;
  const wrdn = wrdnMessage({
    serviceId: state.config.serviceId,
    jobId,
    error,
    fileName: plan.path,
    metadata: plan.metadata,
  });
  send(state, plan.controlTopic, wrdn);
  if (job.failure) send(state, state.config.commandStatusTopic, wrdn);
  const counts = `${stats.written} messages written, ${stats.badMessages} bad, ${stats.filtered} filtered` +
    (stats.duplicates ? `, ${stats.duplicates} duplicate ev44 dropped` : "");
  log(ctx, error ? "error" : "info", `job ${jobId}: ${error ? `failed: ${error}` : "finished"} (${counts})`);
  if (![...state.jobs.values()].some((j) => j.plan.controlTopic === plan.controlTopic)) {
    await state.controls.get(plan.controlTopic)?.stop();
    state.controls.delete(plan.controlTopic);
  }
  sendStatus(state);
  void joinPool(state, ctx); // not awaited: during a graceful stop the handler must not wait for a group to form
}

function refuse(state: State, ctx: Ctx, jobId: string, code: 400 | 500, message: string): void {
  state.stats.rejectedCommands++;
  log(ctx, "warn", `start of job ${jobId || "(no id)"} refused (${code}): ${message}`);
  send(state, state.config.commandStatusTopic, answ(state, jobId, "StartJob", code, 0, message, jobId));
}

function answ(
  state: State,
  jobId: string,
  action: "StartJob" | "SetStopTime",
  statusCode: number,
  stopMs: number,
  message: string,
  commandId: string,
): Uint8Array {
  return answMessage({
    serviceId: state.config.serviceId,
    jobId,
    action,
    outcome: statusCode === 201 ? "Success" : "Failure",
    statusCode,
    stopMs,
    message,
    commandId,
  });
}

function sendStatus(state: State): void {
  const c = state.config;
  const status = (json: string) =>
    statusMessage({ serviceId: c.serviceId, version: c.version, intervalMs: c.statusIntervalMs, statusJson: json });
  if (state.jobs.size === 0) return send(state, c.commandStatusTopic, status(statusJson(null)));
  for (const { plan, stats } of state.jobs.values()) {
    const job = { jobId: plan.jobId, filename: plan.filename, startMs: plan.startMs, stopMs: plan.stopMs };
    // kafka-to-nexus's fields, then nxflow's counters (clients that do not know them ignore them)
    const json = stats ? JSON.stringify({ ...JSON.parse(statusJson(job)), counters: stats }) : statusJson(job);
    send(state, plan.controlTopic, status(json));
  }
}

function send(state: State, topic: string, value: Uint8Array): void {
  state.outbox.send({ topic, value, timestampMs: Date.now() });
}
