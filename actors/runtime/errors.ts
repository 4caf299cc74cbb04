/**
 * Errors the actor runtime raises to callers. Supervision failures are not thrown: they are events.
 *
 * @module
 */
import type { ErrorInfo } from "../../protocols/runtime.ts";

/** A request got no reply in time. */
export class RequestTimeoutError extends Error {
  constructor(readonly path: string, readonly kind: string, readonly timeoutMs: number) {
    super(`Request "${kind}" to ${path} got no reply within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
  }
}

/** A message or request could not be delivered: the actor is stopped, its stash is full, or it was lost in a crash. */
export class UndeliverableError extends Error {
  constructor(readonly path: string, message: string) {
    super(`Cannot deliver to ${path}: ${message}`);
    this.name = "UndeliverableError";
  }
}

/** A request handler threw in the actor; `remote` holds the error as the actor saw it. */
export class RemoteError extends Error {
  constructor(readonly path: string, readonly remote: ErrorInfo) {
    super(`${path} failed: ${remote.name}: ${remote.message}`);
    this.name = "RemoteError";
  }
}

/** An actor did not become ready: its module failed to load, its init threw, or it took too long. */
export class ActorStartError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`Cannot start ${path}: ${reason}`);
    this.name = "ActorStartError";
  }
}
