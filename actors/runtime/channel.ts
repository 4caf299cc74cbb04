/**
 * The worker side of a direct channel: a `MessagePort` that can be swapped when the peer restarts.
 *
 * Messages that arrive before the actor installs its listener wait for it. While the peer is down, posted messages
 * are held (up to a limit, then dropped and counted) and sent to the replacement in order once the supervisor wires
 * the new port. Messages already in flight to a peer that crashed are lost with it: a direct channel is at-most-once
 * across a peer's restart. Messages a peer posted before it went down still reach this side. Protocols that need more acknowledge on the channel (the Kafka producer's outbox does).
 *
 * Messages posted in one turn of the event loop cross the thread boundary together, up to `TURN_LIMIT` per
 * `postMessage` (the
 * receiver hands them to its listener one by one, in order, in one task): a sender of many small messages pays the
 * cost of a message between threads once per turn, not once per message. A listener that defers some messages' work
 * (a promise chain) must defer all that must stay in order with them.
 *
 * @module
 */
import type { Port } from "./actor.ts";
import { transferablesOf } from "./transfer.ts";

/** Messages held per channel while the peer is down. */
export const PORT_HOLD_LIMIT = 4096;

/**
 * Messages sent together at most: a larger turn goes in several envelopes, so that the receiver's work per task stays
 * short and its other messages (a request, a fault) are not held behind thousands of others.
 */
export const TURN_LIMIT = 256;

/** How long the port of a peer that went down stays open after its last message. */
export const RETIRE_MS = 10_000;

/** The envelope of the messages of one turn (a key no protocol message has). */
const TURN = "__nxflowTurn";

/** One end of a direct channel, owned by the worker's runtime. */
export class PortEndpoint<T> implements Port<T> {
  #port: MessagePort | null = null;
  #held: T[] = [];
  #listener: ((message: T) => void | Promise<void>) | null = null;
  #onConnect: (() => void) | null = null;
  #early: T[] = [];
  #dropped = 0;
  /** messages posted in this turn, sent together at its end. */
  #turn: T[] = [];

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
      const n = this.#turn.push(message);
      if (n === 1) queueMicrotask(() => this.#flush());
      else if (n >= TURN_LIMIT) this.#flush();
    } else if (this.#held.length < PORT_HOLD_LIMIT) {
      this.#held.push(message);
    } else {
      this.#dropped++;
    }
  }

  #flush(): void {
    const turn = this.#turn;
    if (turn.length === 0) return;
    this.#turn = [];
    if (!this.#port) {
      // the peer went down in this turn: hold what was posted, in order
      for (const m of turn) this.post(m);
      return;
    }
    const envelope = turn.length === 1 ? turn[0] : { [TURN]: turn };
    this.#port.postMessage(envelope, transferablesOf(envelope));
  }

  onMessage(listener: (message: T) => void | Promise<void>): void {
    this.#listener = listener;
    const early = this.#early;
    this.#early = [];
    for (const m of early) this.#deliver(m);
  }

  onConnect(listener: () => void): void {
    this.#onConnect = listener;
  }

  /**
   * Connects a new port (the peer started) or disconnects (`null`: the peer went down). The old port is closed once
   * it has been quiet for {@linkcode RETIRE_MS}: what the old peer posted before it went down is still delivered.
   */
  attach(port: MessagePort | null): void {
    if (this.#port) this.#retire(this.#port);
    this.#port = port;
    if (!port) return;
    port.onmessage = (e) => this.#receive(e);
    try {
      this.#onConnect?.();
    } catch (error) {
      this.onListenerError(error);
    }
    const held = this.#held;
    this.#held = [];
    for (const m of held) this.post(m);
  }

  #receive(e: MessageEvent<T | { [TURN]: T[] }>): void {
    const data = e.data as { [TURN]?: T[] };
    if (data !== null && typeof data === "object" && Array.isArray(data[TURN])) {
      for (const m of data[TURN]) this.#deliver(m);
    } else this.#deliver(e.data as T);
  }

  #retire(port: MessagePort): void {
    let timer = setTimeout(() => port.close(), RETIRE_MS);
    port.onmessage = (e) => {
      clearTimeout(timer);
      this.#receive(e);
      timer = setTimeout(() => port.close(), RETIRE_MS);
    };
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
