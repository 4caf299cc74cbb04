/**
 * A supervisor in OTP's sense: starts its children in order, restarts them by its strategy when they exit, gives up
 * and escalates to its parent after too many restarts, and stops its children in reverse order.
 *
 * Supervisors run on the parent thread; their children are actors (one Worker each, see `worker_host.ts`) or other
 * supervisors. Everything a supervisor does happens one event at a time (`#enqueue`), so an exit that arrives during
 * a restart is handled after it. A failed restart is posted back as a new exit event rather than retried in a loop,
 * so it counts against the restart intensity like any other failure.
 *
 * Decision table (exit kind × restart type): `permanent` children are always restarted; `transient` children only
 * after an abnormal exit (anything but `normal` and `shutdown`); `temporary` children never, not even when a
 * sibling's restart under `oneForAll` or `restForOne` took them down.
 *
 * @module
 */
import type { ChildState, SupervisorEvent, SupervisorSnapshot } from "../../protocols/supervision.ts";
import { Backoff } from "./backoff.ts";
import {
  checkChildSpec,
  type ChildSpec,
  isSupervisorSpec,
  type ResolvedActorSpec,
  type ResolvedSupervisorSpec,
  type RestartType,
} from "./child_spec.ts";
import { ActorStartError } from "./errors.ts";
import type { HostExit } from "./actor_ref.ts";
import { ActorHost } from "./worker_host.ts";
import { RestartWindow } from "./restart_window.ts";

/** What a whole tree shares: where events go, and where hung threads are counted. */
export interface TreeContext {
  publish(event: Omit<SupervisorEvent, "time">): void;
  leaked(path: string): void;
}

/** A child of a supervisor: an actor's host or another supervisor. */
export type ChildNode = ActorHost | Supervisor;

interface Child {
  node: ChildNode;
  backoff: Backoff;
  exitedAt: number;
}

function restartable(restart: RestartType, exit: HostExit): boolean {
  if (restart === "permanent") return true;
  if (restart === "temporary") return false;
  return exit.kind !== "normal" && exit.kind !== "shutdown";
}

/** Supervises an ordered list of children. Built and driven by `ActorSystem` or by a parent supervisor. */
export class Supervisor {
  state: ChildState = "idle";
  /** times this supervisor was restarted by its parent. */
  restarts = 0;
  #children: Child[];
  #window: RestartWindow;
  #chain: Promise<void> = Promise.resolve();
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #startedAt = 0;

  /**
   * @param spec the resolved spec; @param path e.g. `root/efu`; @param tree shared events and hang counting;
   * @param onExit called when this supervisor gives up (its parent then treats it as a failed child).
   */
  constructor(
    readonly spec: ResolvedSupervisorSpec,
    readonly path: string,
    readonly tree: TreeContext,
    readonly onExit: (exit: HostExit) => void,
  ) {
    this.#window = new RestartWindow(spec.intensity, spec.periodMs);
    this.#children = spec.children.map((c) => this.#child(c));
  }

  /** The children, in start order. */
  get children(): readonly ChildNode[] {
    return this.#children.map((c) => c.node);
  }

  /** Starts every child in order; if one fails, stops those already started and rejects. */
  start(): Promise<void> {
    const done = this.#chain.then(() => this.#startAll());
    this.#chain = done.catch(() => {});
    return done;
  }

  async #startAll(): Promise<void> {
    this.#window = new RestartWindow(this.spec.intensity, this.spec.periodMs);
    this.state = "starting";
    this.#startedAt = performance.now();
    for (const child of this.#children) {
      try {
        await this.#startChild(child);
      } catch (error) {
        await this.#stopAll(true);
        this.state = "failed";
        throw error;
      }
    }
    this.state = "running";
  }

  /** Stops every child in reverse order, each within its shutdown time. Resolves `false` if a thread hung. */
  stop(final = true): Promise<boolean> {
    let clean = true;
    this.state = "stopping";
    this.#enqueue(async () => {
      clean = await this.#stopAll(final);
    });
    return this.#chain.then(() => clean);
  }

  /**
   * Starts a new child under this running supervisor and keeps it (OTP's `start_child`): for subtrees that come and
   * go, such as the file writer's jobs. It is stopped with the others, in reverse start order. A child that fails to
   * start is not kept.
   *
   * @throws {TypeError | RangeError} a bad spec, or an id already taken.
   * @throws {ActorStartError} the child failed to start.
   */
  startChild(spec: ChildSpec): Promise<void> {
    const resolved = checkChildSpec(spec, this.path);
    const done = this.#chain.then(async () => {
      if (this.state !== "running") throw new RangeError(`Cannot start ${resolved.id}: ${this.path} is ${this.state}`);
      if (this.#children.some((c) => c.node.spec.id === resolved.id)) {
        throw new RangeError(`Cannot start ${resolved.id}: ${this.path} already has a child with that id`);
      }
      const child = this.#child(resolved);
      this.#children.push(child);
      try {
        await this.#startChild(child);
      } catch (error) {
        this.#children = this.#children.filter((c) => c !== child);
        throw error;
      }
    });
    this.#chain = done.catch(() => {});
    return done;
  }

  /**
   * Stops a child and forgets it (OTP's `terminate_child` then `delete_child`). Resolves `false` if its thread hung,
   * `true` otherwise (also when no such child is left, e.g. a temporary child that already exited).
   */
  stopChild(id: string): Promise<boolean> {
    let clean = true;
    this.#enqueue(async () => {
      const child = this.#children.find((c) => c.node.spec.id === id);
      if (!child) return;
      this.#children = this.#children.filter((c) => c !== child);
      const wasUp = child.node.state === "starting" || child.node.state === "running";
      clean = await child.node.stop(true);
      this.#unwire(child.node);
      if (wasUp) this.tree.publish({ type: "stopped", path: child.node.path });
    });
    return this.#chain.then(() => clean);
  }

  snapshot(): SupervisorSnapshot {
    const s = this.spec;
    return {
      kind: "supervisor",
      id: s.id,
      path: this.path,
      state: this.state,
      strategy: s.strategy,
      intensity: s.intensity,
      periodMs: s.periodMs,
      restarts: this.restarts,
      uptimeMs: this.state === "running" ? Math.round(performance.now() - this.#startedAt) : 0,
      children: this.#children.map((c) => c.node.snapshot()),
    };
  }

  #child(spec: ResolvedActorSpec | ResolvedSupervisorSpec): Child {
    const path = `${this.path}/${spec.id}`;
    const child: Child = { node: null as unknown as ChildNode, backoff: new Backoff(null), exitedAt: 0 };
    const onExit = (exit: HostExit) => this.#enqueue(() => this.#exited(child, exit));
    if (isSupervisorSpec(spec)) {
      child.node = new Supervisor(spec, path, this.tree, onExit);
    } else {
      child.node = new ActorHost(spec, path, onExit);
      child.backoff = new Backoff(spec.backoff);
    }
    return child;
  }

  #enqueue(task: () => Promise<void> | void): void {
    this.#chain = this.#chain.then(task).catch((error) => {
      this.tree.publish({ type: "escalated", path: this.path, kind: "crash", reason: `supervisor bug: ${error}` });
      this.onExit({ kind: "crash", reason: String(error), leaked: false });
    });
  }

  async #exited(child: Child, exit: HostExit): Promise<void> {
    if (this.state !== "running") return;
    const node = child.node;
    child.exitedAt = performance.now();
    this.tree.publish({ type: "exited", path: node.path, kind: exit.kind, reason: exit.reason });
    if (exit.leaked) this.tree.leaked(node.path);
    this.#unwire(node);
    if (!restartable(node.spec.restart, exit)) {
      if (node instanceof ActorHost) node.retire();
      else node.state = "stopped";
      if (node.spec.restart === "temporary") this.#children = this.#children.filter((c) => c !== child);
      return;
    }
    if (!this.#window.add(performance.now())) {
      const limit = `more than ${this.spec.intensity} restarts in ${this.spec.periodMs} ms`;
      return this.#escalate(`${limit}; last: ${node.path} ${exit.kind}: ${exit.reason}`);
    }
    const i = this.#children.indexOf(child);
    const group = this.spec.strategy === "oneForOne"
      ? [child]
      : this.#children.slice(this.spec.strategy === "oneForAll" ? 0 : i);
    for (const other of group.toReversed()) {
      if (other !== child && other.node.state !== "restarting") {
        this.#unwire(other.node);
        await other.node.stop(other.node.spec.restart === "temporary");
        other.exitedAt = performance.now();
        this.tree.publish({ type: "stopped", path: other.node.path });
      }
    }
    const restarting = group.filter((c) => c === child || c.node.spec.restart !== "temporary");
    this.#children = this.#children.filter((c) => !group.includes(c) || restarting.includes(c));
    const delay = child.backoff.next(node instanceof ActorHost ? node.ranForMs : 0);
    if (delay === 0) return this.#restartGroup(restarting);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#enqueue(() => this.#restartGroup(restarting));
    }, delay);
    this.#timers.add(timer);
  }

  async #restartGroup(group: Child[]): Promise<void> {
    if (this.state !== "running") return;
    for (const child of group) {
      const down = child.node.state === "restarting" || child.node.state === "failed";
      if (!this.#children.includes(child) || !down) continue;
      try {
        await this.#startChild(child);
      } catch (error) {
        const reason = error instanceof ActorStartError ? error.reason : String(error);
        child.node.state = "restarting";
        return this.#enqueue(() => this.#exited(child, { kind: "crash", reason, leaked: false }));
      }
      child.node.restarts++;
      const latencyMs = Math.round(performance.now() - child.exitedAt);
      this.tree.publish({ type: "restarted", path: child.node.path, restarts: child.node.restarts, latencyMs });
    }
  }

  async #startChild(child: Child): Promise<void> {
    const node = child.node;
    if (node instanceof ActorHost) await node.start(this.#wire(node));
    else await node.start();
    this.tree.publish({ type: "started", path: node.path });
  }

  /** Gives up: stops every child and reports the failure to the parent, which applies its own strategy. */
  async #escalate(reason: string): Promise<void> {
    this.tree.publish({ type: "escalated", path: this.path, kind: "escalated", reason });
    await this.#stopAll(false);
    this.state = "failed";
    this.onExit({ kind: "escalated", reason, leaked: false });
  }

  async #stopAll(final: boolean): Promise<boolean> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    let clean = true;
    // each child is unwired after its stop: its terminate hook can still send to its peers (they stop after it)
    for (const child of this.#children.toReversed()) {
      const wasUp = child.node.state === "starting" || child.node.state === "running";
      clean = (await child.node.stop(final)) && clean;
      this.#unwire(child.node);
      if (wasUp) this.tree.publish({ type: "stopped", path: child.node.path });
    }
    this.state = final ? "stopped" : "restarting";
    return clean;
  }

  /** New direct channels for an actor about to start, one per channel whose peer is up; the peer gets the other end. */
  #wire(node: ActorHost): Record<string, MessagePort> {
    const ports: Record<string, MessagePort> = {};
    for (const { name, peer } of this.#channelsOf(node)) {
      if (peer.state !== "starting" && peer.state !== "running") continue;
      const { port1, port2 } = new MessageChannel();
      peer.setPort(name, port2);
      ports[name] = port1;
    }
    return ports;
  }

  /** Tells the peers of a node that went down to hold their messages until it is back. */
  #unwire(node: ChildNode): void {
    if (!(node instanceof ActorHost)) return;
    for (const { name, peer } of this.#channelsOf(node)) peer.setPort(name, null);
  }

  #channelsOf(node: ActorHost): { name: string; peer: ActorHost }[] {
    const out: { name: string; peer: ActorHost }[] = [];
    for (const { name, between } of this.spec.channels) {
      const i = between.indexOf(node.spec.id);
      if (i < 0) continue;
      const peer = this.#children.find((c) => c.node.spec.id === between[1 - i])?.node;
      if (peer instanceof ActorHost) out.push({ name, peer });
    }
    return out;
  }
}
