/**
 * The shape every actor module exports: `export default defineActor<MyProtocol, MyConfig, MyState>({ ... })`.
 *
 * The runtime runs it in its own Worker (see `worker_main.ts`): `init` once, then `handle` for each message and the
 * matching `requests` entry for each request, one at a time in arrival order (a handler that returns a promise is
 * awaited before the next message), and `terminate` on a graceful stop.
 *
 * Keep the module's top level free of side effects (no sockets, files or timers opened at import): each actor has a
 * warm spare Worker that imports the module ahead of time, so that a restart only runs `init`.
 *
 * An error thrown by `init`, `handle` or a port listener crashes the actor ("let it crash"): the supervisor restarts
 * it with fresh state. An error thrown by a request handler is sent back to the caller as a rejected promise and the
 * actor keeps running, as validation errors belong in the protocol.
 *
 * @example
 * ```ts
 * import { defineActor } from "../runtime/actor.ts";
 * import type { SummerProtocol } from "../../protocols/summer.ts";
 *
 * export default defineActor<SummerProtocol, { limit: number }, { total: number }>({
 *   init: () => ({ total: 0 }),
 *   handle(state, msg) {
 *     if (msg.type === "add") state.total += msg.value;
 *   },
 *   requests: { total: (state) => state.total },
 * });
 * ```
 *
 * @module
 */
import type { ActorProtocol } from "../../protocols/runtime.ts";

/** One end of a direct channel between two sibling actors. */
export interface Port<T> {
  /** Sends a message to the peer; buffers (transferred) are moved, not copied. Held while the peer restarts. */
  post(message: T): void;
  /** Installs the listener for messages from the peer; it stays installed when the peer restarts. */
  onMessage(listener: (message: T) => void | Promise<void>): void;
  /**
   * Installs the listener called each time a peer is connected (its first start, a restart), before the messages
   * held while it was down are sent: a sender that re-sends what a crashed peer took posts it here.
   */
  onConnect(listener: () => void): void;
  /** Whether the peer is connected now. */
  readonly connected: boolean;
  /** Messages dropped because the peer was down and the hold buffer was full. */
  readonly dropped: number;
}

/** What an actor's handlers can do besides changing their state. */
export interface ActorContext<P extends ActorProtocol> {
  /** this actor's id among its siblings. */
  readonly id: string;
  /** this actor's path in the tree, e.g. `root/efu/detector/formation`. */
  readonly path: string;
  /** true while handling a message that a crashed instance may already have handled. */
  readonly redelivered: boolean;
  /** Emits a notice to the listeners of this actor's reference; buffers are transferred. */
  emit(message: P["out"]): void;
  /** The named direct channel declared in the supervisor spec. */
  port<K extends keyof P["ports"] & string>(name: K): Port<P["ports"][K]>;
  /** Ends this actor normally (a `transient` actor is then not restarted). */
  exit(detail?: string): void;
}

/** Request handlers, one per request kind of the protocol. */
export type RequestHandlers<P extends ActorProtocol, S> = {
  [K in keyof P["requests"]]: (
    state: S,
    body: P["requests"][K]["request"],
    ctx: ActorContext<P>,
  ) => P["requests"][K]["reply"] | Promise<P["requests"][K]["reply"]>;
};

/** An actor: its start, its message and request handlers, and its cleanup. */
export interface ActorDefinition<P extends ActorProtocol, C, S> {
  /** Builds the initial state. Messages that arrive meanwhile wait. */
  init(config: C, ctx: ActorContext<P>): S | Promise<S>;
  /** Handles one message sent with `send`. */
  handle?(state: S, message: P["in"], ctx: ActorContext<P>): void | Promise<void>;
  /** Answers requests made with `request`. */
  requests?: RequestHandlers<P, S>;
  /** Releases resources on a graceful stop (flush files, close connections). */
  terminate?(state: S, ctx: ActorContext<P>): void | Promise<void>;
}

/** Declares an actor; the identity function that gives the definition its types. */
export function defineActor<P extends ActorProtocol, C = undefined, S = undefined>(
  definition: ActorDefinition<P, C, S>,
): ActorDefinition<P, C, S> {
  return definition;
}
