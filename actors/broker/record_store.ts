/**
 * Records not yet acknowledged by Kafka, kept in memory that outlives their sender (a `SharedArrayBuffer` the
 * supervisor spec hands to each incarnation), so that a sender restarted after a crash sends again what its
 * predecessor's outbox held instead of losing it. Byte-identical records (the same message ids) reach Kafka at most
 * twice, and readers drop the repeat.
 *
 * A ring of record bytes and a ring of slots, both counted by ever-growing positions; a record never wraps (it goes
 * to the start of the next lap) and space is reclaimed from the oldest slot as soon as it and all before it are
 * released, so one record held long keeps the space after it. Every change is made inside one task, so a crash
 * (between tasks) leaves the store whole.
 *
 * @module
 */
import type { ProduceRecord } from "../../protocols/broker.ts";

/** Fields per slot: used (0/1), start position, end position, timestamp (ms), topic length, value length. */
const SLOT_FIELDS = 6;
/** Header fields: bytes written, bytes freed, slots written, slots freed. */
const HEADER = 4;
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/** Memory for a {@linkcode RecordStore} of `bytes` record bytes and `slots` records at most. */
export function recordStoreMemory(bytes: number, slots = 65_536): SharedArrayBuffer {
  if (!(bytes > 0 && slots > 0)) throw new RangeError(`Cannot make a record store of ${bytes} bytes, ${slots} slots`);
  const memory = new SharedArrayBuffer((HEADER + 1 + slots * SLOT_FIELDS) * 8 + bytes);
  new Float64Array(memory, 0, HEADER + 1)[HEADER] = slots;
  return memory;
}

/** Records kept until released; see the module doc. */
export class RecordStore {
  #meta: Float64Array;
  #data: Uint8Array;
  #slots: number;

  /** @param memory from {@linkcode recordStoreMemory}. */
  constructor(memory: SharedArrayBuffer) {
    this.#slots = new Float64Array(memory, 0, HEADER + 1)[HEADER];
    const metaLength = HEADER + 1 + this.#slots * SLOT_FIELDS;
    if (!(this.#slots > 0) || metaLength * 8 >= memory.byteLength) {
      throw new RangeError("Cannot use memory not made by recordStoreMemory() as a record store");
    }
    this.#meta = new Float64Array(memory, 0, metaLength);
    this.#data = new Uint8Array(memory, metaLength * 8);
  }

  /**
   * Keeps `record` (its topic, value and timestamp: a record with a key, partition or headers is not kept); returns
   * its slot, or -1 when it is not kept (no room).
   */
  add(record: ProduceRecord): number {
    if (record.key !== undefined || record.partition !== undefined || record.headers !== undefined) return -1;
    const m = this.#meta;
    const [written, freed, slotsWritten, slotsFreed] = [m[0], m[1], m[2], m[3]];
    if (slotsWritten - slotsFreed >= this.#slots) return -1;
    const topic = ENCODER.encode(record.topic);
    const length = topic.length + record.value.length;
    const capacity = this.#data.length;
    if (length > capacity) return -1;
    let start = written;
    if ((start % capacity) + length > capacity) start += capacity - (start % capacity); // to the next lap
    if (start + length - freed > capacity) return -1;
    const at = start % capacity;
    this.#data.set(topic, at);
    this.#data.set(record.value, at + topic.length);
    const slot = slotsWritten % this.#slots;
    const f = HEADER + 1 + slot * SLOT_FIELDS;
    m.set([1, start, start + length, record.timestampMs ?? Date.now(), topic.length, record.value.length], f);
    m[0] = start + length;
    m[2] = slotsWritten + 1;
    return slot;
  }

  /** Releases a slot (its record was acknowledged or failed for good) and reclaims what is free from the oldest. */
  release(slot: number): void {
    const m = this.#meta;
    m[HEADER + 1 + slot * SLOT_FIELDS] = 0;
    while (m[3] < m[2]) {
      const f = HEADER + 1 + (m[3] % this.#slots) * SLOT_FIELDS;
      if (m[f] !== 0) break;
      m[1] = m[f + 2];
      m[3]++;
    }
  }

  /** The records still kept, oldest first, with their slots (copies). */
  *kept(): IterableIterator<{ slot: number; record: ProduceRecord }> {
    const m = this.#meta;
    for (let n = m[3]; n < m[2]; n++) {
      const slot = n % this.#slots;
      const f = HEADER + 1 + slot * SLOT_FIELDS;
      if (m[f] === 0) continue;
      const at = m[f + 1] % this.#data.length;
      const topicLength = m[f + 4];
      const topic = DECODER.decode(this.#data.slice(at, at + topicLength));
      const value = this.#data.slice(at + topicLength, at + topicLength + m[f + 5]);
      yield { slot, record: { topic, value, timestampMs: m[f + 3] } };
    }
  }
}
