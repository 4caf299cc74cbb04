/**
 * The file writer actor: one per open file (`jobs/<job>/file`). It owns the job's HDF5 file (`job_file.ts`), receives
 * the job's Kafka records from its consumer actor over the `batches` channel, decides when each partition and the
 * whole job are done, flushes and checkpoints every `flushIntervalMs`, and finishes the file. Speaks
 * protocols/writer.ts (`FileWriterProtocol`). Restart: transient (it ends normally when the file is finished).
 *
 * **When a partition is done** (kafka-to-nexus's rules): a record's Kafka timestamp is later than stop +
 * `timeAfterStopMs`; or it is at its end and the wall clock is past stop + `timeAfterStopMs`; or every source filter
 * of its topic saw a message after the stop. **The job is done** when every partition is done and the wall clock is
 * past the stop, at once on "stop now" (stop time 0), or at once with the plan's `failure`.
 *
 * **Back-pressure**: a batch is confirmed to the consumer when it is written, and the consumer stops fetching above
 * `maxQueuedBytes` unconfirmed bytes, so memory stays bounded when the disk is slower than Kafka.
 *
 * **Crash-resume**: a replacement reopens the file and resumes from its checkpoint (see `job_file.ts`).
 *
 * @module
 */
import type { FileWriterProtocol, JobPlan } from "../../protocols/writer.ts";
import { ConsumerInbox, type InboxBatch } from "../broker/inbox.ts";
import { type ActorContext, defineActor } from "../runtime/actor.ts";
import { JobFile } from "./job_file.ts";

type Ctx = ActorContext<FileWriterProtocol>;

interface PartitionState {
  /** the next offset to process; -1 before the first record. */
  next: number;
  /** the end the consumer last reported; -1 before any report. */
  end: number;
  done: boolean;
}

interface State {
  plan: JobPlan;
  job: JobFile;
  partitions: Map<string, PartitionState>;
  inbox: ConsumerInbox | null;
  timers: ReturnType<typeof setInterval>[];
  /** when "stop now" arrived; the job's end_time then. */
  stoppedNowAt: number | null;
  finished: boolean;
  warned: number;
}

const pkey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export default defineActor<FileWriterProtocol, JobPlan, State>({
  async init(plan, ctx) {
    const job = await JobFile.open(plan);
    const state: State = {
      plan,
      job,
      partitions: new Map(plan.partitions.map((p) => [pkey(p.topic, p.partition), { next: -1, end: -1, done: false }])),
      inbox: null,
      timers: [],
      stoppedNowAt: null,
      finished: false,
      warned: 0,
    };
    report(state, ctx);
    if (job.stats.resumes > 0) {
      ctx.emit({ type: "log", level: "warn", message: `${plan.path}: resumed from its checkpoint after a restart` });
    }
    if (plan.failure) {
      setTimeout(() => finish(state, ctx, plan.failure), 0);
      return state;
    }
    job.checkpoint();
    if (plan.partitions.length > 0) {
      state.inbox = new ConsumerInbox(
        ctx.port("batches"),
        {
          onBatch: (batch) => onBatch(state, ctx, batch),
          onEndOfPartition: (topic, partition, offset) => {
            const p = state.partitions.get(pkey(topic, partition));
            if (p) p.end = offset;
          },
        },
        true,
        job.resumeAt,
      );
    }
    state.timers.push(setInterval(() => {
      if (state.finished) return;
      job.checkpoint();
      report(state, ctx);
      ctx.emit({ type: "progress", jobId: plan.jobId, stats: { ...job.stats } });
    }, plan.flushIntervalMs));
    state.timers.push(setInterval(() => checkDone(state, ctx), 200));
    return state;
  },
  handle(state, msg, ctx) {
    if (msg.type !== "setStop" || state.finished) return;
    if (msg.stopMs === 0) {
      state.stoppedNowAt = Date.now();
      return finish(state, ctx);
    }
    state.job.setStop(msg.stopMs);
    checkDone(state, ctx);
  },
  requests: {
    stats: (state) => ({ ...state.job.stats, stopMs: state.job.stopMs, path: state.plan.path }),
  },
  /** A graceful stop (SIGINT, SIGTERM) finishes the file as "stop now" does, so that it is complete. */
  terminate(state, ctx) {
    if (state.finished) return;
    state.stoppedNowAt = Date.now();
    finishFile(state, ctx);
  },
});

function onBatch(state: State, ctx: Ctx, batch: InboxBatch): void {
  if (state.finished) return;
  const p = state.partitions.get(pkey(batch.topic, batch.partition));
  if (!p || p.done) return;
  const limitMs = state.job.stopMs + state.plan.timeAfterStopMs;
  for (const record of batch.records) {
    if (record.offset < p.next) continue; // delivered again after a consumer restart
    state.job.write(batch.topic, batch.partition, record);
    p.next = record.offset + 1;
    if (record.timestampMs > limitMs) {
      p.done = true;
      break;
    }
  }
  report(state, ctx);
  checkDone(state, ctx);
}

function checkDone(state: State, ctx: Ctx): void {
  if (state.finished) return;
  const now = Date.now();
  const stopMs = state.job.stopMs;
  const pastLeeway = now > stopMs + state.plan.timeAfterStopMs;
  for (const [k, p] of state.partitions) {
    if (p.done) continue;
    const atEnd = p.end >= 0 && (p.next === -1 || p.next >= p.end);
    const [topic, partition] = k.split("\u0000");
    if ((atEnd && pastLeeway) || state.job.partitionFinished(topic, Number(partition))) p.done = true;
  }
  const allDone = [...state.partitions.values()].every((p) => p.done);
  if (allDone && now > stopMs) finish(state, ctx);
}

function finish(state: State, ctx: Ctx, failure?: string): void {
  if (state.finished) return;
  const error = finishFile(state, ctx, failure);
  ctx.exit(error ? `job failed: ${error}` : "file finished");
}

/** Finishes the file and reports it; returns the job's error, if any. */
function finishFile(state: State, ctx: Ctx, failure?: string): string | undefined {
  state.finished = true;
  for (const t of state.timers) clearInterval(t);
  const endMs = state.stoppedNowAt ?? state.job.stopMs;
  let error = failure;
  try {
    state.job.finish(endMs);
  } catch (e) {
    error = `${failure ? `${failure}; ` : ""}the file could not be finished: ${(e as Error).message}`;
  }
  report(state, ctx);
  ctx.emit({ type: "finished", jobId: state.plan.jobId, error, stats: { ...state.job.stats } });
  return error;
}

/** Logs the warnings gathered since the last report (a few at most, so bad input cannot flood the log). */
function report(state: State, ctx: Ctx): void {
  const fresh = state.job.warnings.splice(0);
  for (const message of fresh) {
    if (state.warned++ < 50) ctx.emit({ type: "log", level: "warn", message: `${state.plan.path}: ${message}` });
  }
}
