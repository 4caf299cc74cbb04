/**
 * The root of a supervision tree and its process-level policies.
 *
 * Above the root supervisor there is only the operating system: when the root gives up (its restart intensity is
 * exceeded) the process must end with a non-zero code so that systemd (`Restart=on-failure`) starts it again.
 *
 * **Hung actors.** A worker that stops answering heartbeats has its OS thread checked. If the thread is already gone
 * the actor had exited silently and is restarted like after a crash. Otherwise it is terminated and given a second to
 * go: a worker that was only starved of CPU or blocked for a while ends then, and is restarted. One that still runs
 * hung in synchronous code, which `Worker.terminate()` cannot stop in Deno: the supervisor still starts a replacement,
 * so the data path recovers at once, but the old thread keeps its core busy until the process ends. The system counts
 * such leaked threads; once there are more than `maxLeakedThreads` (default 1), it stops the tree and ends the process
 * with {@linkcode EXIT_CODES.hung} so that the service manager starts a clean one.
 *
 * @module
 */
import type { FaultKind } from "../../protocols/runtime.ts";
import type { ActorProtocol } from "../../protocols/runtime.ts";
import type { SupervisorEvent, TreeSnapshot } from "../../protocols/supervision.ts";
import { checkSupervisorSpec, type SupervisorSpec } from "./child_spec.ts";
import { Supervisor } from "./supervisor.ts";
import type { ActorRef } from "./actor_ref.ts";
import { ActorHost } from "./worker_host.ts";

/** Exit codes of an nxflow process. */
export const EXIT_CODES = {
  /** bad command line or configuration. */
  usage: 2,
  /** the root supervisor gave up after too many restarts. */
  escalated: 3,
  /** more worker threads hung than `maxLeakedThreads`. */
  hung: 4,
} as const;

/** Options of {@linkcode ActorSystem.start}. */
export interface SystemOptions {
  /** Receives every lifecycle event of the tree. */
  onEvent?: (event: SupervisorEvent) => void;
  /**
   * Called once when the process cannot go on (root escalation, too many hung threads), after the tree was stopped.
   * @default logs the reason and calls `Deno.exit(code)`
   */
  onFatal?: (reason: string, code: number) => void;
  /** hung worker threads tolerated before `onFatal`. @default 1 */
  maxLeakedThreads?: number;
}

/** A running supervision tree. */
export class ActorSystem {
  readonly startedAt: Date = new Date();
  leakedThreads: number = 0;
  #listeners = new Set<(event: SupervisorEvent) => void>();
  #fatal = false;
  #root!: Supervisor;

  private constructor(readonly options: SystemOptions) {
    if (options.onEvent) this.#listeners.add(options.onEvent);
  }

  /**
   * Checks the spec, then starts the tree; rejects (after stopping what had started) if any child fails to start.
   *
   * @example
   * ```ts
   * const system = await ActorSystem.start({
   *   id: "root",
   *   children: [{ id: "counter", module: new URL("./counter.ts", import.meta.url) }],
   * });
   * const counter = system.ref<CounterProtocol>("counter");
   * counter.send({ type: "add", value: 2 });
   * await system.stop();
   * ```
   */
  static async start(spec: SupervisorSpec, options: SystemOptions = {}): Promise<ActorSystem> {
    const resolved = checkSupervisorSpec(spec);
    const system = new ActorSystem(options);
    const tree = {
      publish: (e: Omit<SupervisorEvent, "time">) => system.#publish(e),
      leaked: (path: string) => system.#leaked(path),
    };
    system.#root = new Supervisor(resolved, resolved.id, tree, (exit) => {
      system.#die(`root supervisor gave up: ${exit.reason}`, EXIT_CODES.escalated);
    });
    await system.#root.start();
    return system;
  }

  /** The root supervisor. */
  get root(): Supervisor {
    return this.#root;
  }

  /** Listens to lifecycle events; returns the function that stops listening. */
  onEvent(listener: (event: SupervisorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Finds an actor by id (unique in the tree) or by path (`root/efu/detector/formation` or `efu/detector/formation`).
   *
   * @throws {RangeError} when no actor, or more than one, matches.
   */
  find(idOrPath: string): ActorHost {
    const all: ActorHost[] = [];
    const walk = (s: Supervisor) => {
      for (const c of s.children) c instanceof ActorHost ? all.push(c) : walk(c);
    };
    walk(this.#root);
    const byPath = all.filter((a) => a.path === idOrPath || a.path === `${this.#root.path}/${idOrPath}`);
    const found = byPath.length ? byPath : all.filter((a) => a.spec.id === idOrPath);
    if (found.length === 1) return found[0];
    const known = all.map((a) => a.path).join(", ");
    if (found.length === 0) throw new RangeError(`No actor "${idOrPath}" in the tree; actors: ${known}`);
    throw new RangeError(`"${idOrPath}" names ${found.length} actors: ${found.map((a) => a.path).join(", ")}`);
  }

  /**
   * Finds a supervisor by path (`root/writer/jobs` or `writer/jobs`), e.g. to start children under it.
   *
   * @throws {RangeError} when no supervisor has that path.
   */
  supervisor(path: string): Supervisor {
    const wanted = path.startsWith(`${this.#root.path}/`) || path === this.#root.path
      ? path
      : `${this.#root.path}/${path}`;
    const walk = (s: Supervisor): Supervisor | undefined => {
      if (s.path === wanted) return s;
      for (const c of s.children) {
        const found = c instanceof Supervisor ? walk(c) : undefined;
        if (found) return found;
      }
    };
    const found = walk(this.#root);
    if (!found) throw new RangeError(`No supervisor "${path}" in the tree`);
    return found;
  }

  /** The typed reference to an actor, valid across its restarts. */
  ref<P extends ActorProtocol>(idOrPath: string): ActorRef<P> {
    return this.find(idOrPath) as unknown as ActorRef<P>;
  }

  /** Fault injection: makes the named actor crash, hang or exit silently. */
  inject(idOrPath: string, fault: FaultKind): string {
    const actor = this.find(idOrPath);
    actor.inject(fault);
    return actor.path;
  }

  snapshot(): TreeSnapshot {
    return { startedAt: this.startedAt.toISOString(), leakedThreads: this.leakedThreads, root: this.#root.snapshot() };
  }

  /** Stops the whole tree in reverse start order. Resolves `false` if some worker thread could not be reclaimed. */
  async stop(): Promise<boolean> {
    return (await this.#root.stop(true)) && this.leakedThreads === 0;
  }

  #publish(e: Omit<SupervisorEvent, "time">): void {
    const event = { ...e, time: new Date().toISOString() } as SupervisorEvent;
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error(`nxflow: an event listener threw on "${event.type}" of ${event.path}: ${error}`);
      }
    }
  }

  #leaked(path: string): void {
    this.leakedThreads++;
    const limit = this.options.maxLeakedThreads ?? 1;
    if (this.leakedThreads > limit) {
      this.#die(`${this.leakedThreads} worker threads hung (limit ${limit}), the last in ${path}`, EXIT_CODES.hung);
    }
  }

  #die(reason: string, code: number): void {
    if (this.#fatal) return;
    this.#fatal = true;
    this.#publish({ type: "escalated", path: "process", kind: "escalated", reason });
    const fatal = this.options.onFatal ?? ((why: string, exitCode: number) => {
      console.error(`nxflow: fatal: ${why}; exiting with code ${exitCode}`);
      Deno.exit(exitCode);
    });
    void this.#root.stop(true).finally(() => fatal(reason, code));
  }
}
