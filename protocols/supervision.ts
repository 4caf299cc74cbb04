/**
 * What supervisors report: lifecycle events and the snapshot of a supervision tree.
 *
 * The admin endpoint serves the snapshot as JSON (`GET /tree`), and status messages and the dashboard of later
 * roles are built from it, so these types are part of nxflow's external interface.
 *
 * @module
 */

/** How an actor or supervisor ended. */
export type ExitKind =
  /** it finished its work and closed itself. */
  | "normal"
  /** its supervisor stopped it. */
  | "shutdown"
  /** an uncaught error, a rejected promise, or a failed start. */
  | "crash"
  /** it stopped answering heartbeats and its thread is gone (`Deno.exit()` or `self.close()` with no notice). */
  | "silentExit"
  /** it stopped answering heartbeats and its thread is still running (busy loop, blocked wait). */
  | "hang"
  /** a child supervisor gave up after too many restarts. */
  | "escalated";

/** The life-cycle state of a child. */
export type ChildState = "idle" | "starting" | "running" | "restarting" | "stopping" | "stopped" | "failed";

/** One lifecycle event from anywhere in the tree; `path` names the actor, e.g. `root/efu/detector/formation`. */
export interface SupervisorEvent {
  type: "started" | "exited" | "restarted" | "escalated" | "stopped" | "stashOverflow";
  path: string;
  /** ISO-8601 time of the event. */
  time: string;
  /** For `exited` and `escalated`: how it ended. */
  kind?: ExitKind;
  /** A human-readable reason: the error message, the exit detail, the limit that was hit. */
  reason?: string;
  /** For `restarted`: the child's restart count after this restart. */
  restarts?: number;
  /** For `restarted`: milliseconds from the exit to the replacement being ready. */
  latencyMs?: number;
}

/** Counters kept for every actor by the runtime. */
export interface ActorCounters {
  /** messages and requests handed to the worker. */
  delivered: number;
  /** messages kept while the actor was not running. */
  stashed: number;
  /** messages dropped because the stash was full. */
  stashOverflow: number;
  /** messages dropped because the actor was stopped and will not be restarted. */
  undeliverable: number;
  /** envelopes delivered again to a new instance after a crash. */
  redelivered: number;
  /** envelopes in flight at a crash that could not be delivered again (they carried transferred buffers). */
  lostInCrash: number;
  /** envelopes dropped because they were being handled at too many crashes in a row. */
  poisonDropped: number;
  /** abnormal exits: crash, silent exit, hang. */
  failures: number;
}

/** A snapshot of one actor (a worker) in the tree. */
export interface ActorSnapshot {
  kind: "actor";
  id: string;
  path: string;
  module: string;
  state: ChildState;
  restart: "permanent" | "transient" | "temporary";
  restarts: number;
  /** milliseconds since the current instance became ready; 0 when not running. */
  uptimeMs: number;
  lastExit: { kind: ExitKind; reason: string; time: string } | null;
  counters: ActorCounters;
}

/** A snapshot of a supervisor and, recursively, its children. */
export interface SupervisorSnapshot {
  kind: "supervisor";
  id: string;
  path: string;
  state: ChildState;
  strategy: "oneForOne" | "oneForAll" | "restForOne";
  intensity: number;
  periodMs: number;
  restarts: number;
  uptimeMs: number;
  children: (ActorSnapshot | SupervisorSnapshot)[];
}

/** The whole-process view served by the admin endpoint. */
export interface TreeSnapshot {
  /** the process's start time, ISO-8601. */
  startedAt: string;
  /** worker threads that hung and could not be reclaimed (they keep running until the process exits). */
  leakedThreads: number;
  root: SupervisorSnapshot;
}
