/**
 * The serialiser's event buffers — per source, the times of flight and pixel ids not yet produced, and the pulse they
 * belong to — in memory that outlives the serialiser, so that a restarted serialiser goes on with the events its
 * predecessor held instead of losing them. A crash comes between two tasks, when the buffers are whole; a thread
 * stopped inside a task (a hang) leaves them marked dirty, and the successor then counts them lost.
 *
 * @module
 */

/** Per-source event buffers in a store ({@linkcode eventBufferStore}). */
export class EventBuffers {
  readonly tof: Int32Array[];
  readonly pixel: Int32Array[];
  /** [dirty, pulse high, pulse low, count of source 0, count of source 1, ...] */
  #meta: Float64Array;

  /** Views `store` (a fresh one when absent) as `sources` buffers of `maxEvents` events each. */
  constructor(readonly sources: number, readonly maxEvents: number, store?: SharedArrayBuffer) {
    const memory = store ?? new ArrayBuffer(bytesOf(sources, maxEvents));
    if (memory.byteLength !== bytesOf(sources, maxEvents)) {
      throw new RangeError(`Cannot use an event buffer store of ${memory.byteLength} bytes for ${sources} sources`);
    }
    this.#meta = new Float64Array(memory, 0, 3 + sources);
    const base = metaBytes(sources);
    const each = maxEvents * Int32Array.BYTES_PER_ELEMENT;
    this.tof = Array.from({ length: sources }, (_, i) => new Int32Array(memory, base + 2 * i * each, maxEvents));
    this.pixel = Array.from(
      { length: sources },
      (_, i) => new Int32Array(memory, base + (2 * i + 1) * each, maxEvents),
    );
  }

  /** Events buffered for source `i`. */
  count(i: number): number {
    return this.#meta[3 + i];
  }

  setCount(i: number, n: number): void {
    this.#meta[3 + i] = n;
  }

  /** Events buffered over all sources. */
  total(): number {
    let n = 0;
    for (let i = 0; i < this.sources; i++) n += this.count(i);
    return n;
  }

  /** The pulse (ESS seconds, ticks) of the buffered events; -1 before the first. */
  get pulse(): [number, number] {
    return this.#meta[1] === 0 && this.#meta[2] === 0 ? [-1, -1] : [this.#meta[1], this.#meta[2]];
  }

  set pulse([high, low]: [number, number]) {
    this.#meta[1] = high;
    this.#meta[2] = low;
  }

  /** Whether a predecessor stopped while changing the buffers. */
  get dirty(): boolean {
    return this.#meta[0] !== 0;
  }

  /** Marks the buffers as being changed (`true`) or whole again (`false`). */
  set dirty(on: boolean) {
    this.#meta[0] = on ? 1 : 0;
  }
}

function metaBytes(sources: number): number {
  return (3 + sources) * Float64Array.BYTES_PER_ELEMENT;
}

function bytesOf(sources: number, maxEvents: number): number {
  return metaBytes(sources) + 2 * sources * maxEvents * Int32Array.BYTES_PER_ELEMENT;
}

/** Memory for the {@linkcode EventBuffers} of a serialiser, to share with its successors. */
export function eventBufferStore(sources: number, maxEvents: number): SharedArrayBuffer {
  return new SharedArrayBuffer(bytesOf(sources, maxEvents));
}
