/**
 * Flow control on a direct channel: the sender numbers its batches, the receiver acknowledges each one by number
 * (`done`), and the sender bounds the bytes in flight. Channels deliver in order and are at-most-once across a
 * peer's restart, so an acknowledgement for batch n settles every earlier batch: those not acknowledged themselves
 * were lost with a crashed peer, and their weight (packets, events) is reported.
 *
 * @module
 */

/** The sender's side of a flow-controlled channel. */
export class FlowWindow {
  #inFlight = new Map<number, { bytes: number; weight: number }>();
  #bytes = 0;
  /**
   * starts above any number an earlier incarnation of the sender used, so that its late acknowledgements settle
   * nothing.
   */
  #nextSeq = Date.now() * 1000;

  /** @param maxBytes bytes allowed in flight. */
  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`Cannot use a flow window of ${maxBytes} bytes: must be > 0`);
  }

  /** Bytes sent and not yet settled. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `bytes` more fit in the window. */
  fits(bytes: number): boolean {
    return this.#bytes + bytes <= this.maxBytes;
  }

  /** Records a batch about to be sent; returns its sequence number. */
  sent(bytes: number, weight: number): number {
    const seq = this.#nextSeq++;
    this.#inFlight.set(seq, { bytes, weight });
    this.#bytes += bytes;
    return seq;
  }

  /** Settles batch `seq` and every earlier one; returns the weight of the earlier ones never acknowledged (lost). */
  done(seq: number): number {
    let lost = 0;
    for (const [s, entry] of this.#inFlight) {
      if (s > seq) break;
      if (s < seq) lost += entry.weight;
      this.#bytes -= entry.bytes;
      this.#inFlight.delete(s);
    }
    return lost;
  }
}
