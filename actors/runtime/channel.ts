/**
 * The worker side of a direct channel: a `MessagePort` that can be swapped when the peer restarts.
 *
 * Messages that arrive before the actor installs its listener wait for it. While the peer is down, posted messages are held (up to a limit, then dropped and counted) and sent to the
 * replacement in order once the supervisor wires the new port. Messages already in flight to a peer that crashed are
 * lost with it: a direct channel is at-most-once across a peer's restart. Protocols that need more acknowledge
 * on the channel (the Kafka producer's outbox does).
 *
 * @module
 */
import type { Port } from "./actor.ts";
import { transferablesOf } from "./transfer.ts";

/** Messages held per channel while the peer is down. */
export const PORT_HOLD_LIMIT = 4096;

/** One end of a direct channel, owned by the worker's runtime. */
export class PortEndpoint<T> implements Port<T> {
  #port: MessagePort | null = null;
  #held: T[] = [];
  #listener: ((message: T) => void | Promise<void>) | null = null;
  #early: T[] = [];
  #dropped = 0;

  /** @param onListenerError called when the listener throws or rejects: the actor must crash. */
  constructor(readonly name: string, readonly onListenerError: (error: unknown) => void) {}

  get connected(): boolean {
    return this.#port !== null;
  }

  get dropped(): number {
    return this.#dropped;
  }

  post(message: T): void {
    if (this.#port) {
      this.#port.postMessage(message, transferablesOf(message));
    } else if (this.#held.length < PORT_HOLD_LIMIT) {
      this.#held.push(message);
    } else {
      this.#dropped++;
    }
  }

  onMessage(listener: (message: T) => void | Promise<void>): void {
    this.#listener = listener;
    const early = this.#early;
    this.#early = [];
    for (const m of early) this.#deliver(m);
  }

  /** Connects a new port (the peer started) or disconnects (`null`: the peer went down). */
  attach(port: MessagePort | null): void {
    this.#port?.close();
    this.#port = port;
    if (!port) return;
    port.onmessage = (e: MessageEvent<T>) => this.#deliver(e.data);
    const held = this.#held;
    this.#held = [];
    for (const m of held) this.post(m);
  }

  #deliver(message: T): void {
    if (!this.#listener) {
      this.#early.push(message);
      return;
    }
    try {
      const result = this.#listener(message);
      if (result instanceof Promise) result.catch(this.onListenerError);
    } catch (error) {
      this.onListenerError(error);
    }
  }
}
