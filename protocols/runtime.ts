/**
 * The envelopes every actor worker speaks with its host on the parent thread.
 *
 * These are runtime-internal: actors never see them. An actor's own protocol (what it accepts, answers and emits)
 * is declared with {@linkcode ActorProtocol} in its own file in `protocols/`.
 *
 * Short `t` tags keep the hot path small, as in comlink.
 *
 * @module
 */

/** A fault that the fault-injection API can make an actor suffer. */
export type FaultKind = "crash" | "hang" | "exit";

/** Every fault kind, for validating user input. */
export const FAULT_KINDS: readonly FaultKind[] = ["crash", "hang", "exit"];

/** An error carried across a thread boundary as plain data. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

/**
 * The shape every actor protocol has. Each actor declares one in `protocols/<actor>.ts`.
 *
 * - `in`: messages accepted with `send` (fire and forget), a union discriminated by `type`;
 * - `requests`: kinds answered with `request`, each with its request body and reply;
 * - `out`: notices the actor emits to whoever listens on its reference;
 * - `ports`: direct channels to sibling actors, channel name → message type sent over it.
 */
export interface ActorProtocol {
  in: { type: string };
  requests: { [kind: string]: { request: unknown; reply: unknown } };
  out: { type: string };
  ports: { [name: string]: unknown };
}

/** A protocol part that has no members (an actor that accepts no requests, emits nothing, ...). */
export type None = never;

/** Messages from the host to its worker. */
export type HostToWorker =
  | {
    t: "init";
    module: string;
    id: string;
    path: string;
    config: unknown;
    ports: Record<string, MessagePort>;
    heartbeatMs: number;
  }
  /** a warm spare: import the actor module now, wait for `init`. */
  | { t: "preload"; module: string }
  | { t: "msg"; seq: number; body: unknown; redelivered: boolean }
  | { t: "req"; seq: number; id: number; kind: string; body: unknown; redelivered: boolean }
  | { t: "port"; name: string; port: MessagePort | null }
  | { t: "fault"; fault: FaultKind }
  | { t: "shutdown" };

/** Messages from a worker to its host. */
export type WorkerToHost =
  /** init finished; `thread` is the OS thread (`<pid>/task/<tid>`) when it could be read. */
  | { t: "ready"; thread: string | null }
  | { t: "hb" }
  /** every envelope up to and including `seq` has been handled. */
  | { t: "ack"; seq: number }
  | { t: "res"; id: number; ok: true; value: unknown }
  | { t: "res"; id: number; ok: false; error: ErrorInfo }
  | { t: "emit"; body: unknown }
  /** the worker is about to die; `handling` is the envelope it was handling, if any. */
  | { t: "crash"; error: ErrorInfo; handling: number | null }
  /** the worker is about to close on its own (`normal`) or after a shutdown request (`shutdown`). */
  | { t: "exit"; reason: "normal" | "shutdown"; detail: string };
