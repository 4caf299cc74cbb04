/**
 * Flow control on a direct channel, with re-sending: the sender numbers its batches and keeps each until the receiver
 * acknowledges it by number (`done`); it bounds the bytes kept. A channel is at-most-once across a peer's restart
 * (what was in flight to a crashed peer is gone), so when the replacement is connected the sender posts every batch
 * still kept, in order ({@linkcode FlowWindow.unsettled}), and the receiver skips (but acknowledges) the ones its
 * predecessor already handled ({@linkcode HandledMark}). An acknowledgement for batch n settles every earlier batch:
 * one not acknowledged itself was lost, and its weight (packets, events) is reported.
 *
 * @module
 */

/** The sender's side of a flow-controlled channel. */
export class FlowWindow<M extends { seq: number }> {
  #kept = new Map<number, { bytes: number; weight: number; message: M }>();
  #bytes = 0;
  /**
   * starts above any number an earlier incarnation of the sender used, so that its late acknowledgements settle
   * nothing and a receiver's {@linkcode HandledMark} takes the new batches as new.
   */
  #nextSeq = Date.now() * 1000;

  /** @param maxBytes bytes allowed to be kept. */
  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`Cannot use a flow window of ${maxBytes} bytes: must be > 0`);
  }

  /** Bytes kept (sent or waiting for a peer) and not yet settled. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `bytes` more fit in the window. */
  fits(bytes: number): boolean {
    return this.#bytes + bytes <= this.maxBytes;
  }

  /** Keeps `message` (its `seq` set here) until it is acknowledged; returns it. */
  sent(bytes: number, weight: number, message: M): M {
    message.seq = this.#nextSeq++;
    this.#kept.set(message.seq, { bytes, weight, message });
    this.#bytes += bytes;
    return message;
  }

  /** The batches kept, oldest first: what a replacement peer must be sent. */
  *unsettled(): IterableIterator<M> {
    for (const { message } of this.#kept.values()) yield message;
  }

  /** Settles batch `seq` and every earlier one; returns the weight of the earlier ones never acknowledged (lost). */
  done(seq: number): number {
    let lost = 0;
    for (const [s, entry] of this.#kept) {
      if (s > seq) break;
      if (s < seq) lost += entry.weight;
      this.#bytes -= entry.bytes;
      this.#kept.delete(s);
    }
    return lost;
  }
}

/** Memory for a {@linkcode HandledMark}, to share with the receiver's successors. */
export function handledStore(): SharedArrayBuffer {
  return new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT);
}

/**
 * The receiver's side: the number of the last batch handled, kept across the receiver's restarts (in a
 * {@linkcode handledStore}), so that a batch re-sent to a replacement is handled once. Numbers only grow, across the
 * sender's restarts too.
 */
export class HandledMark {
  #last: Float64Array;

  constructor(store?: SharedArrayBuffer) {
    this.#last = new Float64Array(store ?? new ArrayBuffer(Float64Array.BYTES_PER_ELEMENT));
  }

  /** Whether batch `seq` is new; if so it counts as handled from now on. */
  take(seq: number): boolean {
    if (seq <= this.#last[0]) return false;
    this.#last[0] = seq;
    return true;
  }
}
