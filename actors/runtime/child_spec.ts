/**
 * Child specs and supervisor flags, in OTP's terms: what to start, when to restart it, how long it may take to stop.
 *
 * Specs are plain data, merged with defaults and checked once by {@linkcode checkSupervisorSpec} before anything
 * starts, so that a misconfigured tree fails loudly at start-up instead of misbehaving later.
 *
 * @module
 */

/** When a child is restarted: always, only after an abnormal exit, or never. */
export type RestartType = "permanent" | "transient" | "temporary";

/** Which children a supervisor restarts when one of them exits. */
export type Strategy = "oneForOne" | "oneForAll" | "restForOne";

/**
 * What happens to messages that were handed to an actor's worker but not yet handled when it crashed.
 *
 * - `atLeastOnce`: they are delivered again to the replacement, flagged as possibly duplicated (`ctx.redelivered`);
 * - `atMostOnce`: they are dropped.
 *
 * Messages sent while the actor is down are kept either way.
 */
export type Delivery = "atLeastOnce" | "atMostOnce";

/** Exponential restart delay with jitter, for actors that depend on something that may be down (Kafka, an IOC). */
export interface BackoffOptions {
  /** first delay. */
  initialMs: number;
  /** largest delay. */
  maxMs: number;
  /** growth per consecutive restart. @default 2 */
  factor?: number;
  /** random spread as a fraction of the delay, 0 to 1. @default 0.2 */
  jitter?: number;
  /** after running this long without failing, the delay starts from `initialMs` again. @default maxMs */
  resetAfterMs?: number;
}

/** An actor: a module run in its own Worker. */
export interface ActorSpec<C = unknown> {
  /** unique among its siblings; letters, digits, `_`, `-`, `.`. */
  id: string;
  /** the actor module; its default export is made with `defineActor`. */
  module: URL | string;
  /** handed to the actor's `init`; must be structured-cloneable. */
  config?: C;
  /** @default "permanent" */
  restart?: RestartType;
  /** time allowed for a graceful stop before the worker is terminated. @default 5000 */
  shutdownMs?: number;
  /** the worker's heartbeat period. @default 250 */
  heartbeatMs?: number;
  /** silence after which the actor is declared dead or hung. @default 3000 */
  heartbeatTimeoutMs?: number;
  /** time allowed from spawn to ready. @default 10000 */
  startTimeoutMs?: number;
  /** messages kept while the actor is down; the surplus is dropped and counted. @default 10000 */
  stashLimit?: number;
  /** @default "atLeastOnce" */
  delivery?: Delivery;
  /** a message that was being handled at this many crashes is dropped as poison. @default 3 */
  maxDeliveries?: number;
  /** restart delay; none when absent. */
  backoff?: BackoffOptions;
  /**
   * keep a warm spare Worker that has already loaded the actor module, so that a restart only runs `init`; costs
   * one idle thread and the module's memory. @default true
   */
  spare?: boolean;
}

/** A direct channel between two sibling actors; both reach it as `ctx.port(name)`. */
export interface ChannelSpec {
  name: string;
  between: [string, string];
}

/** A supervisor and the children it starts in order and stops in reverse order. */
export interface SupervisorSpec {
  id: string;
  /** @default "oneForOne" */
  strategy?: Strategy;
  /** more than this many restarts within `periodMs` make the supervisor give up and escalate. @default 3 */
  intensity?: number;
  /** @default 5000 */
  periodMs?: number;
  /** as a child of another supervisor. @default "permanent" */
  restart?: RestartType;
  children: ChildSpec[];
  channels?: ChannelSpec[];
}

/** Either kind of child. */
export type ChildSpec = ActorSpec | SupervisorSpec;

/** An actor spec with every default filled in. */
export type ResolvedActorSpec = Required<Omit<ActorSpec, "backoff" | "config" | "module">> & {
  module: string;
  config: unknown;
  backoff: Required<BackoffOptions> | null;
};

/** A supervisor spec with every default filled in. */
export type ResolvedSupervisorSpec = Required<Omit<SupervisorSpec, "children">> & {
  children: (ResolvedActorSpec | ResolvedSupervisorSpec)[];
};

/** Tells a supervisor spec from an actor spec. */
export function isSupervisorSpec<T extends ChildSpec | ResolvedActorSpec | ResolvedSupervisorSpec>(
  spec: T,
): spec is Extract<T, { children: unknown }> {
  return "children" in spec;
}

const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
const RESTART_TYPES: readonly RestartType[] = ["permanent", "transient", "temporary"];
const STRATEGIES: readonly Strategy[] = ["oneForOne", "oneForAll", "restForOne"];

/**
 * Fills in defaults and checks a supervisor spec and all its descendants.
 *
 * @throws {TypeError} a field of the wrong kind, a bad id, an unknown restart type or strategy.
 * @throws {RangeError} a number out of range, a duplicate id, a channel to an unknown actor.
 */
export function checkSupervisorSpec(spec: SupervisorSpec, where = ""): ResolvedSupervisorSpec {
  const at = where ? `${where}/${spec.id}` : String(spec.id);
  checkId(spec.id, where);
  if (!Array.isArray(spec.children)) throw new TypeError(`Cannot use supervisor "${at}": children must be a list`);
  const children = spec.children.map((c) => checkChildSpec(c, at));
  const ids = new Set<string>();
  for (const c of children) {
    if (ids.has(c.id)) throw new RangeError(`Cannot use supervisor "${at}": two children have the id "${c.id}"`);
    ids.add(c.id);
  }
  const channels = (spec.channels ?? []).map((ch) => checkChannel(ch, children, at));
  return {
    id: spec.id,
    strategy: oneOf(spec.strategy ?? "oneForOne", STRATEGIES, `${at}: strategy`),
    intensity: count(spec.intensity ?? 3, `${at}: intensity`, 0),
    periodMs: count(spec.periodMs ?? 5000, `${at}: periodMs`, 1),
    restart: oneOf(spec.restart ?? "permanent", RESTART_TYPES, `${at}: restart`),
    children,
    channels,
  };
}

/**
 * Fills in defaults and checks one child spec, actor or supervisor (for children started later with
 * `Supervisor.startChild`).
 *
 * @throws {TypeError | RangeError} as {@linkcode checkSupervisorSpec}.
 */
export function checkChildSpec(spec: ChildSpec, where: string): ResolvedActorSpec | ResolvedSupervisorSpec {
  return isSupervisorSpec(spec) ? checkSupervisorSpec(spec, where) : checkActorSpec(spec, where);
}

function checkActorSpec(spec: ActorSpec, where: string): ResolvedActorSpec {
  checkId(spec.id, where);
  const at = `${where}/${spec.id}`;
  const module = spec.module instanceof URL ? spec.module.href : spec.module;
  if (typeof module !== "string" || module === "") throw new TypeError(`Cannot use actor "${at}": module is missing`);
  const heartbeatMs = count(spec.heartbeatMs ?? 250, `${at}: heartbeatMs`, 10);
  const heartbeatTimeoutMs = count(spec.heartbeatTimeoutMs ?? 3000, `${at}: heartbeatTimeoutMs`, 1);
  if (heartbeatTimeoutMs < 2 * heartbeatMs) {
    throw new RangeError(`Cannot use actor "${at}": heartbeatTimeoutMs must be at least twice heartbeatMs`);
  }
  return {
    id: spec.id,
    module,
    config: spec.config,
    restart: oneOf(spec.restart ?? "permanent", RESTART_TYPES, `${at}: restart`),
    shutdownMs: count(spec.shutdownMs ?? 5000, `${at}: shutdownMs`, 0),
    heartbeatMs,
    heartbeatTimeoutMs,
    startTimeoutMs: count(spec.startTimeoutMs ?? 10_000, `${at}: startTimeoutMs`, 1),
    stashLimit: count(spec.stashLimit ?? 10_000, `${at}: stashLimit`, 0),
    delivery: oneOf(spec.delivery ?? "atLeastOnce", ["atLeastOnce", "atMostOnce"] as const, `${at}: delivery`),
    maxDeliveries: count(spec.maxDeliveries ?? 3, `${at}: maxDeliveries`, 1),
    backoff: spec.backoff ? checkBackoff(spec.backoff, at) : null,
    spare: flag(spec.spare ?? true, `${at}: spare`),
  };
}

function checkBackoff(b: BackoffOptions, at: string): Required<BackoffOptions> {
  const initialMs = count(b.initialMs, `${at}: backoff.initialMs`, 0);
  const maxMs = count(b.maxMs, `${at}: backoff.maxMs`, initialMs);
  const jitter = b.jitter ?? 0.2;
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`Cannot use ${at}: backoff.jitter must be from 0 to 1`);
  const factor = b.factor ?? 2;
  if (!(factor >= 1)) throw new RangeError(`Cannot use ${at}: backoff.factor must be at least 1`);
  return { initialMs, maxMs, factor, jitter, resetAfterMs: count(b.resetAfterMs ?? maxMs, `${at}: resetAfterMs`, 0) };
}

function checkChannel(
  ch: ChannelSpec,
  children: (ResolvedActorSpec | ResolvedSupervisorSpec)[],
  at: string,
): ChannelSpec {
  checkId(ch.name, `${at} channel`);
  if (!Array.isArray(ch.between) || ch.between.length !== 2 || ch.between[0] === ch.between[1]) {
    throw new TypeError(`Cannot use channel "${ch.name}" of "${at}": between must name two different actors`);
  }
  for (const end of ch.between) {
    const child = children.find((c) => c.id === end);
    if (!child || isSupervisorSpec(child)) {
      throw new RangeError(`Cannot use channel "${ch.name}" of "${at}": "${end}" is not an actor of this supervisor`);
    }
  }
  return { name: ch.name, between: [ch.between[0], ch.between[1]] };
}

function checkId(id: unknown, where: string): void {
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    throw new TypeError(`Cannot use id ${JSON.stringify(id)} in "${where || "/"}": use letters, digits, "_", "-", "."`);
  }
}

function flag(value: unknown, what: string): boolean {
  if (typeof value !== "boolean") throw new TypeError(`Cannot use ${what}: must be true or false`);
  return value;
}

function count(value: unknown, what: string, min: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(`Cannot use ${what}: must be a number of at least ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`Cannot use ${what}: must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
