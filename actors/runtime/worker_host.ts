/**
 * The parent side of one actor: spawns its Worker, holds messages until it is ready, watches its heartbeats, and
 * keeps what it was sent across restarts. One host lives as long as its child spec; each restart is a new Worker
 * (an incarnation), and events from older incarnations are ignored.
 *
 * Guarantees, per actor:
 * - **ordering**: envelopes from one sender thread are handled in the order they were sent, across restarts;
 * - **while down** (starting, restarting, backing off) messages are stashed up to `stashLimit`, then dropped and
 *   counted (`stashOverflow`; a dropped request is rejected with `UndeliverableError`);
 * - **in flight at a crash** (posted, not yet acknowledged): with `delivery: "atLeastOnce"` they are delivered to the
 *   replacement first, flagged `ctx.redelivered`, so a handler may see a message twice but never loses one; a message
 *   that was being handled at `maxDeliveries` crashes is dropped as poison. Messages whose buffers were transferred
 *   cannot be kept, so they are at-most-once and counted as `lostInCrash`. With `"atMostOnce"` all are dropped.
 *
 * @module
 */
import type { ActorProtocol, FaultKind, HostToWorker, WorkerToHost } from "../../protocols/runtime.ts";
import type { ActorCounters, ActorSnapshot, ChildState } from "../../protocols/supervision.ts";
import type { ActorRef, HostExit } from "./actor_ref.ts";
import type { ResolvedActorSpec } from "./child_spec.ts";
import { ActorStartError, RemoteError, RequestTimeoutError, UndeliverableError } from "./errors.ts";
import { threadAlive } from "./thread_probe.ts";
import { transferablesOf } from "./transfer.ts";

interface Envelope {
  seq: number;
  body: unknown;
  request?: { id: number; kind: string };
  deliveries: number;
  moved: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const WORKER_URL = new URL("./worker_main.ts", import.meta.url);
const PROBE_DELAY_MS = 30;
const TERMINATE_GRACE_MS = 1000;
const SPARE_DELAY_MS = 0;

/** Runs one actor spec's incarnations. Driven by its supervisor. */
export class ActorHost implements ActorRef<ActorProtocol> {
  state: ChildState = "idle";
  restarts = 0;
  /** how long the last incarnation ran, from ready to its end, in ms. */
  ranForMs = 0;
  lastExit: ActorSnapshot["lastExit"] = null;
  readonly counters: ActorCounters = {
    delivered: 0,
    stashed: 0,
    stashOverflow: 0,
    undeliverable: 0,
    redelivered: 0,
    lostInCrash: 0,
    poisonDropped: 0,
    failures: 0,
  };
  #worker: Worker | null = null;
  #spare: Worker | null = null;
  #spareTimer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;
  #thread: string | null = null;
  #readyAt = 0;
  #lastSeen = 0;
  #watch: ReturnType<typeof setInterval> | undefined;
  #seq = 0;
  #requestId = 0;
  #stash: Envelope[] = [];
  #inflight: Envelope[] = [];
  #pending = new Map<number, Pending>();
  #listeners = new Set<(message: { type: string }) => void>();
  #started: ((exit: HostExit | null) => void) | null = null;
  #stopped: ((exit: HostExit) => void) | null = null;

  /**
   * @param spec the resolved child spec; @param path the actor's place in the tree;
   * @param onExit called when a running incarnation ends by itself (not when the host stops it).
   */
  constructor(readonly spec: ResolvedActorSpec, readonly path: string, readonly onExit: (exit: HostExit) => void) {}

  get backlog(): number {
    return this.#stash.length + this.#inflight.length;
  }

  /** Milliseconds the current incarnation has been ready, 0 when not running. */
  get uptimeMs(): number {
    return this.state === "running" ? performance.now() - this.#readyAt : 0;
  }

  send(body: { type: string }): void {
    this.#accept({ seq: ++this.#seq, body, deliveries: 0, moved: false });
  }

  request(kind: string, body: unknown, options: { timeoutMs?: number } = {}): Promise<never> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const id = ++this.#requestId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RequestTimeoutError(this.path, kind, timeoutMs));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#accept({ seq: ++this.#seq, body, request: { id, kind }, deliveries: 0, moved: false });
    });
  }

  onEmit(listener: (message: { type: string }) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Spawns a new incarnation and resolves once it is ready; rejects with `ActorStartError` if it dies first or
   * misses `startTimeoutMs`. The stash is then delivered, oldest first.
   */
  start(ports: Record<string, MessagePort>): Promise<void> {
    const gen = ++this.#generation;
    this.state = "starting";
    this.#thread = null;
    const worker = this.#spare ?? this.#spawn();
    this.#spare = null;
    this.#worker = worker;
    worker.onmessage = (e: MessageEvent<WorkerToHost>) => gen === this.#generation && this.#receive(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      if (gen === this.#generation) this.#died({ kind: "crash", reason: e.message, leaked: false });
    };
    const init: HostToWorker = {
      t: "init",
      module: this.spec.module,
      id: this.spec.id,
      path: this.path,
      config: this.spec.config,
      ports,
      heartbeatMs: this.spec.heartbeatMs,
    };
    worker.postMessage(init, Object.values(ports));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.#unresponsive(gen, "not ready in time"), this.spec.startTimeoutMs);
      this.#started = (exit) => {
        clearTimeout(timer);
        if (exit) reject(new ActorStartError(this.path, exit.reason));
        else resolve();
      };
    });
  }

  /** Re-wires a direct channel: a new port after the peer started, `null` when it went down. */
  setPort(name: string, port: MessagePort | null): void {
    if (this.state === "starting" || this.state === "running") {
      this.#worker!.postMessage({ t: "port", name, port } satisfies HostToWorker, port ? [port] : []);
    } else {
      port?.close();
    }
  }

  /** Makes the actor crash, hang or exit silently (the fault-injection API). */
  inject(fault: FaultKind): void {
    if (this.state !== "running") throw new UndeliverableError(this.path, `it is ${this.state}`);
    this.#worker!.postMessage({ t: "fault", fault } satisfies HostToWorker);
  }

  /**
   * Stops the current incarnation: asks it to shut down after the messages already sent, waits `shutdownMs`, then
   * terminates it. Resolves `true` when the thread is gone, `false` when it could not be reclaimed (hung).
   *
   * @param final the host will not be started again: pending requests and stashed messages are rejected.
   */
  async stop(final: boolean): Promise<boolean> {
    let clean = true;
    if (this.state === "starting" || this.state === "running") {
      this.state = "stopping";
      clearInterval(this.#watch);
      const gen = this.#generation;
      const exited = new Promise<HostExit>((resolve) => (this.#stopped = resolve));
      this.#worker!.postMessage({ t: "shutdown" } satisfies HostToWorker);
      const timer = setTimeout(() => this.#unresponsive(gen, "did not stop in time"), this.spec.shutdownMs);
      const exit = await exited;
      clearTimeout(timer);
      clean = !exit.leaked;
    }
    this.state = final ? "stopped" : "restarting";
    if (final) {
      this.#dropAll("it was stopped");
      clearTimeout(this.#spareTimer);
      this.#spare?.terminate();
      this.#spare = null;
    }
    return clean;
  }

  /** Marks a host whose supervisor decided not to restart it, and rejects what was waiting for it. */
  retire(): void {
    this.state = "stopped";
    this.#dropAll("it exited and is not restarted");
  }

  snapshot(): ActorSnapshot {
    const s = this.spec;
    return {
      kind: "actor",
      id: s.id,
      path: this.path,
      module: s.module,
      state: this.state,
      restart: s.restart,
      restarts: this.restarts,
      uptimeMs: Math.round(this.uptimeMs),
      lastExit: this.lastExit,
      counters: { ...this.counters },
    };
  }

  #accept(env: Envelope): void {
    if (this.state === "running") return this.#post(env);
    if (this.state === "stopped" || this.state === "failed") {
      this.counters.undeliverable++;
      return this.#reject(env, `it is ${this.state}`);
    }
    if (this.#stash.length >= this.spec.stashLimit) {
      this.counters.stashOverflow++;
      return this.#reject(env, `its stash of ${this.spec.stashLimit} messages is full`);
    }
    this.counters.stashed++;
    this.#stash.push(env);
  }

  #post(env: Envelope): void {
    const m: HostToWorker = env.request
      ? { t: "req", seq: env.seq, id: env.request.id, kind: env.request.kind, body: env.body, redelivered: false }
      : { t: "msg", seq: env.seq, body: env.body, redelivered: false };
    m.redelivered = env.deliveries > 0;
    const transfer = transferablesOf(env.body);
    env.moved ||= transfer.length > 0;
    env.deliveries++;
    this.counters.delivered++;
    this.#worker!.postMessage(m, transfer);
    this.#inflight.push(env);
  }

  #receive(m: WorkerToHost): void {
    this.#lastSeen = performance.now();
    switch (m.t) {
      case "hb":
        return;
      case "ack":
        return this.#acked(m.seq);
      case "res":
        return this.#replied(m);
      case "emit":
        return this.#emit(m.body as { type: string });
      case "ready":
        return this.#ready(m.thread);
      case "crash":
        return this.#died({ kind: "crash", reason: `${m.error.name}: ${m.error.message}`, leaked: false }, m.handling);
      case "exit":
        return this.#died({ kind: m.reason, reason: m.detail, leaked: false });
    }
  }

  #ready(thread: string | null): void {
    this.#thread = thread;
    this.#readyAt = this.#lastSeen;
    const gen = this.#generation;
    let tick = performance.now();
    this.#watch = setInterval(() => {
      const now = performance.now();
      // a check that comes far too late means this thread was starved (a loaded machine, a long synchronous task):
      // the worker's heartbeats may still wait in its queue, so it is judged at the next check, not now
      const starved = now - tick > this.spec.heartbeatTimeoutMs / 2;
      tick = now;
      if (!starved && now - this.#lastSeen > this.spec.heartbeatTimeoutMs) this.#unresponsive(gen, "no heartbeat");
    }, this.spec.heartbeatMs);
    if (this.state === "starting") this.state = "running";
    const stash = this.#stash;
    this.#stash = [];
    if (this.state === "running") { for (const env of stash) this.#post(env); }
    else this.#stash = stash;
    this.#started?.(null);
    this.#started = null;
    if (this.spec.spare && !this.#spare) this.#spareTimer = setTimeout(() => this.#prepareSpare(), SPARE_DELAY_MS);
  }

  #spawn(): Worker {
    return new Worker(WORKER_URL, { type: "module", name: this.path });
  }

  /** Spawns the next incarnation ahead of need: it loads the actor module and waits for `init`. */
  #prepareSpare(): void {
    if (this.state !== "running" || this.#spare) return;
    const spare = this.#spawn();
    spare.onerror = (e) => {
      e.preventDefault();
      if (this.#spare === spare) this.#spare = null;
    };
    spare.postMessage({ t: "preload", module: this.spec.module } satisfies HostToWorker);
    this.#spare = spare;
  }

  #emit(body: { type: string }): void {
    for (const listener of this.#listeners) {
      try {
        listener(body);
      } catch (error) {
        console.error(`nxflow: a listener of ${this.path} threw on a "${body.type}" notice: ${error}`);
      }
    }
  }

  #acked(seq: number): void {
    let n = 0;
    while (n < this.#inflight.length && this.#inflight[n].seq <= seq) n++;
    this.#inflight.splice(0, n);
  }

  #replied(m: Extract<WorkerToHost, { t: "res" }>): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.value);
    else p.reject(new RemoteError(this.path, m.error));
  }

  /**
   * The worker missed its heartbeats or a deadline. If its thread is already gone it exited without notice.
   * Otherwise it is terminated and given `TERMINATE_GRACE_MS` to go: a worker starved of CPU (an overloaded machine)
   * ends then and is restarted like any unresponsive actor; one spinning in synchronous code never does, and its
   * thread is reported as leaked.
   */
  #unresponsive(gen: number, why: string): void {
    if (gen !== this.#generation) return;
    clearInterval(this.#watch);
    const silence = Math.round(performance.now() - this.#lastSeen);
    const exitedBefore = threadAlive(this.#thread) === false;
    this.#worker?.terminate();
    if (exitedBefore) {
      return this.#died({
        kind: "silentExit",
        reason: `${why}: exited without notice (silent ${silence} ms)`,
        leaked: false,
      });
    }
    const deadline = performance.now() + TERMINATE_GRACE_MS;
    const probe = () => {
      if (gen !== this.#generation) return;
      const alive = threadAlive(this.#thread);
      if (alive === false) {
        return this.#died({
          kind: "hang",
          reason: `${why}: unresponsive for ${silence} ms, terminated`,
          leaked: false,
        });
      }
      if (alive && performance.now() < deadline) return void setTimeout(probe, PROBE_DELAY_MS);
      const detail = alive ? "its thread is still running" : "its thread cannot be checked";
      this.#died({ kind: "hang", reason: `${why}: hung for ${silence} ms, ${detail}`, leaked: true });
    };
    setTimeout(probe, PROBE_DELAY_MS);
  }

  #died(exit: HostExit, handling: number | null = null): void {
    this.#generation++;
    this.state = "restarting";
    this.ranForMs = this.#readyAt ? performance.now() - this.#readyAt : 0;
    this.#readyAt = 0;
    clearInterval(this.#watch);
    this.#worker?.terminate();
    this.#worker = null;
    this.#recover(handling);
    const [started, stopped] = [this.#started, this.#stopped];
    this.#started = this.#stopped = null;
    if (exit.kind !== "normal" && exit.kind !== "shutdown") this.counters.failures++;
    this.lastExit = { kind: exit.kind, reason: exit.reason, time: new Date().toISOString() };
    if (started || stopped) {
      started?.(exit);
      stopped?.(exit);
    } else {
      this.onExit(exit);
    }
  }

  /** Moves what was in flight back to the front of the stash, or drops it, per the delivery guarantee. */
  #recover(handling: number | null): void {
    const keep: Envelope[] = [];
    for (const env of this.#inflight) {
      if (env.seq === handling && env.deliveries >= this.spec.maxDeliveries) {
        this.counters.poisonDropped++;
        this.#reject(env, `it crashed ${env.deliveries} times while handling this message`);
      } else if (env.moved || this.spec.delivery === "atMostOnce") {
        this.counters.lostInCrash++;
        this.#reject(env, "it crashed before handling this message");
      } else {
        this.counters.redelivered++;
        keep.push(env);
      }
    }
    this.#inflight = [];
    this.#stash = keep.concat(this.#stash);
  }

  #dropAll(why: string): void {
    for (const env of this.#stash) this.#reject(env, why);
    this.counters.undeliverable += this.#stash.length;
    this.#stash = [];
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new UndeliverableError(this.path, why));
      this.#pending.delete(id);
    }
  }

  #reject(env: Envelope, why: string): void {
    if (!env.request) return;
    const p = this.#pending.get(env.request.id);
    if (!p) return;
    this.#pending.delete(env.request.id);
    clearTimeout(p.timer);
    p.reject(new UndeliverableError(this.path, why));
  }
}
