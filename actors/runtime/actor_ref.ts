/**
 * The handle callers hold on an actor, and how an actor's incarnation ended as its host reports it.
 *
 * @module
 */
import type { ActorProtocol } from "../../protocols/runtime.ts";
import type { ExitKind } from "../../protocols/supervision.ts";

/** The typed handle on an actor that callers use; it stays valid across restarts. */
export interface ActorRef<P extends ActorProtocol> {
  readonly path: string;
  /** Fire and forget; buffers in the message are transferred. */
  send(message: P["in"]): void;
  /** Asks and waits for the reply; rejects with `RequestTimeoutError`, `RemoteError` or `UndeliverableError`. */
  request<K extends keyof P["requests"] & string>(
    kind: K,
    body: P["requests"][K]["request"],
    options?: { timeoutMs?: number },
  ): Promise<P["requests"][K]["reply"]>;
  /** Listens to the actor's notices; returns the function that stops listening. */
  onEmit(listener: (message: P["out"]) => void): () => void;
  /** Messages sent but not yet handled (stashed or in flight): what a sender watches for back-pressure. */
  readonly backlog: number;
}

/** How an incarnation ended, as the host reports it to its supervisor. */
export interface HostExit {
  kind: ExitKind;
  reason: string;
  /** the worker's thread could not be reclaimed and keeps running. */
  leaked: boolean;
}
