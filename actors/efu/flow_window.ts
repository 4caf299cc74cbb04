/**
 * Flow control on a direct channel, with re-sending: the sender numbers its batches and keeps each until the receiver
 * acknowledges it by number (`done`); it bounds the bytes kept. A channel is at-most-once across a peer's restart
 * (what was in flight to a crashed peer is gone), so when the replacement is connected the sender posts every batch
 * still kept, in order ({@linkcode FlowWindow.unsettled}), and the receiver skips (but acknowledges) the ones its
 * predecessor already handled ({@linkcode HandledMark}). Each batch names the sender incarnation it comes from, so
 * that the last batches of a crashed sender, still arriving, are told apart from its successor's. An acknowledgement
 * for batch n settles every earlier batch: one not acknowledged itself was lost, and its weight (packets, events) is
 * reported.
 *
 * @module
 */

/** What a flow-controlled batch carries: its sender incarnation and its number. */
export interface Numbered {
  from: number;
  seq: number;
}

/** The sender's side of a flow-controlled channel. */
export class FlowWindow<M extends Numbered> {
  #kept = new Map<number, { bytes: number; weight: number; message: M }>();
  #bytes = 0;
  /**
   * starts above any number an earlier incarnation of the sender used, so that its late acknowledgements settle
   * nothing and a receiver's {@linkcode HandledMark} takes the new batches as new.
   */
  #nextSeq = Date.now() * 1000;
  /** this incarnation: the first number it uses. */
  readonly from = this.#nextSeq;

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

  /** Keeps `message` (its `from` and `seq` set here) until it is acknowledged; returns it. */
  sent(bytes: number, weight: number, message: M): M {
    message.from = this.from;
    message.seq = this.#nextSeq++;
    this.#kept.set(message.seq, { bytes, weight, message });
    this.#bytes += bytes;
    return message;
  }

  /** Keeps a batch of an earlier incarnation (recovered from a store) with its own `from` and `seq`. */
  restore(bytes: number, weight: number, message: M): void {
    this.#kept.set(message.seq, { bytes, weight, message });
    this.#bytes += bytes;
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

/** Sender incarnations a {@linkcode HandledMark} remembers. */
const INCARNATIONS = 16;

/** Memory for a {@linkcode HandledMark}, to share with the receiver's successors. */
export function handledStore(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * INCARNATIONS * Float64Array.BYTES_PER_ELEMENT);
}

/**
 * The receiver's side: the number of the last batch handled from each of the latest sender incarnations, kept across
 * the receiver's restarts (in a {@linkcode handledStore}), so that a batch re-sent to a replacement is handled once.
 * A batch is taken before it is handled: one that crashes the receiver is not handled again.
 */
export class HandledMark {
  /** [incarnation, last seq] pairs. */
  #marks: Float64Array;

  constructor(store?: SharedArrayBuffer) {
    this.#marks = new Float64Array(store ?? new ArrayBuffer(2 * INCARNATIONS * Float64Array.BYTES_PER_ELEMENT));
    if (this.#marks.length !== 2 * INCARNATIONS) throw new RangeError("Cannot use a store not from handledStore()");
  }

  /** Whether batch `seq` of incarnation `from` is new; if so it counts as handled from now on. */
  take({ from, seq }: Numbered): boolean {
    const m = this.#marks;
    let oldest = 0;
    for (let i = 0; i < m.length; i += 2) {
      if (m[i] === from) {
        if (seq <= m[i + 1]) return false;
        m[i + 1] = seq;
        return true;
      }
      if (m[i] < m[oldest]) oldest = i;
    }
    m[oldest] = from;
    m[oldest + 1] = seq;
    return true;
  }
}
