/**
 * The job manager: the part of the file writer that runs on the main thread, next to the supervisors, because it
 * starts and stops children (OTP's dynamic supervisor pattern, where the supervising process owns `start_child`).
 * It starts a job's subtree under `writer/jobs` when the handler asks, passes stop times to the job's file writer,
 * removes the subtree when the file is finished, and tells the handler each outcome. It keeps the running jobs'
 * plans, so a restarted handler gets them back.
 *
 * A job whose subtree gives up (its file writer failed more than its restart intensity allows) ends with an error
 * `wrdn`; the file stays as it was at its last checkpoint.
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { FileWriterProtocol, HandlerProtocol, JobPlan } from "../../protocols/writer.ts";
import type { Log } from "../common/log.ts";
import { ActorStartError } from "../runtime/errors.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { emptyStats } from "./job_stats.ts";
import { jobChildId, jobTree } from "./tree.ts";

/** Runs the jobs of one writer subtree; see the module doc. */
export class JobManager {
  readonly #running = new Map<string, JobPlan>();
  readonly #watched = new Set<string>();
  readonly #base: string;

  /** @param base the writer subtree's path, e.g. `root/writer`. */
  constructor(
    readonly system: ActorSystem,
    base: string,
    readonly connection: ConnectionOptions,
    readonly log: Log,
  ) {
    this.#base = base;
    system.ref<HandlerProtocol>(`${base}/handler`).onEmit((m) => void this.#fromHandler(m));
    system.onEvent((e) => {
      const prefix = `${base}/jobs/job-`;
      if (!e.path.startsWith(prefix)) return;
      const rest = e.path.slice(prefix.length);
      if (e.type === "started" && rest.endsWith("/file")) this.#watch(rest.slice(0, -"/file".length), e.path);
      if (e.type === "exited" && !rest.includes("/") && e.kind === "escalated") {
        this.#ended(rest, `the job's actors failed too often: ${e.reason}`);
      }
    });
    // the handler's first hello may have come before this manager listened: greet it (answering twice is harmless)
    this.#handler.send({ type: "jobs", plans: this.running });
  }

  /** The plans of the running jobs. */
  get running(): JobPlan[] {
    return [...this.#running.values()];
  }

  get #handler() {
    return this.system.ref<HandlerProtocol>(`${this.#base}/handler`);
  }

  async #fromHandler(m: HandlerProtocol["out"]): Promise<void> {
    switch (m.type) {
      case "hello":
        return this.#handler.send({ type: "jobs", plans: this.running });
      case "log":
        return this.log(m.level, `${this.#base}/handler`, m.message);
      case "startJob":
        return await this.#start(m.plan);
      case "stopJob": {
        if (!this.#running.has(m.jobId)) return;
        const path = `${this.#base}/jobs/${jobChildId(m.jobId)}/file`;
        return this.system.ref<FileWriterProtocol>(path).send({ type: "setStop", stopMs: m.stopMs });
      }
    }
  }

  async #start(plan: JobPlan): Promise<void> {
    if (this.#running.has(plan.jobId)) return this.#handler.send({ type: "jobStarted", jobId: plan.jobId });
    this.#running.set(plan.jobId, plan);
    try {
      await this.system.supervisor(`${this.#base}/jobs`).startChild(jobTree(plan, this.connection));
    } catch (error) {
      this.#running.delete(plan.jobId);
      const message = error instanceof ActorStartError ? error.reason : (error as Error).message;
      return this.#handler.send({ type: "jobFailed", jobId: plan.jobId, message });
    }
    this.#handler.send({ type: "jobStarted", jobId: plan.jobId });
  }

  /** Listens to a job's file writer (again after each of its restarts: a reference's listeners stay). */
  #watch(jobId: string, path: string): void {
    if (!this.#running.has(jobId) || this.#watched.has(jobId)) return;
    this.#watched.add(jobId);
    this.system.ref<FileWriterProtocol>(path).onEmit((m) => {
      if (m.type === "log") this.log(m.level, path, m.message);
      else if (m.type === "progress") this.#handler.send({ type: "jobProgress", jobId, stats: m.stats });
      else this.#ended(jobId, m.error, m.stats);
    });
  }

  #ended(jobId: string, error: string | undefined, stats = emptyStats()): void {
    if (!this.#running.delete(jobId)) return;
    this.#watched.delete(jobId);
    // the handler hears it at once: during a graceful stop (files finished first) it must still send the wrdn
    this.#handler.send({ type: "jobFinished", jobId, error, stats });
    void this.system.supervisor(`${this.#base}/jobs`).stopChild(jobChildId(jobId));
  }
}
