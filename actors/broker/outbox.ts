/**
 * The sender side of the producer actor's `records` channel: an outbox that keeps every record until Kafka
 * acknowledged it, so that a crash of the producer actor loses nothing.
 *
 * - **Retention.** With `retain` (the default) the outbox keeps the caller's record and transfers a copy, and re-sends
 *   it when a new producer incarnation says `hello`. Without it the record's buffers are transferred as they are (no
 *   copy), and a record in flight at a producer crash is reported as failed instead ("not retained").
 * - **Back-pressure.** Bytes not yet acknowledged are bounded by `maxBytesInFlight`: {@linkcode ProducerOutbox.full}
 *   turns true above it, and {@linkcode ProducerOutbox.ready} resolves once it is below again; senders await it
 *   instead of letting memory grow.
 * - **Surviving the sender.** With a `store` (`record_store.ts`) every record is also kept in memory that outlives the
 *   sender until Kafka acknowledged it; a sender's outbox made on its predecessor's store sends those records again
 *   first (`recovered`), so a crash of the sender while its producer is down loses nothing either.
 * - **Duplicates.** A record that Kafka stored but whose acknowledgement was lost in a producer crash is re-sent and
 *   stored twice; `resent` counts the candidates. Consumers recognise duplicates by their content (same key,
 *   timestamp and value) or by a sequence header the sender adds.
 *
 * @module
 */
import type { Delivery, ProduceRecord, ProducerLink } from "../../protocols/broker.ts";
import type { Port } from "../runtime/actor.ts";
import type { RecordStore } from "./record_store.ts";

/** Options of an outbox. */
export interface OutboxOptions {
  /** @default 67108864 (64 MiB) */
  maxBytesInFlight?: number;
  /** keep a copy of each record until acknowledged, to re-send it after a producer crash. @default true */
  retain?: boolean;
  /** keeps each record until acknowledged across the sender's own restarts too (needs `retain`). */
  store?: RecordStore;
  /**
   * the first record id. A sender that restarts while its producer runs on gives each incarnation its own ids (e.g.
   * from the clock), so that acknowledgements for its predecessor's records settle none of its own. @default 1
   */
  firstId?: number;
}

/** Figures of an outbox. */
export interface OutboxStats {
  sent: number;
  acked: number;
  failed: number;
  /** records sent again to a new producer incarnation. */
  resent: number;
  /** records waiting for their acknowledgement. */
  pending: number;
  bytesInFlight: number;
  /** producer incarnations seen. */
  epochs: number;
  /** records a crashed predecessor left in the store, sent again. */
  recovered: number;
}

interface Entry {
  record: ProduceRecord | null;
  bytes: number;
  sentTo: string | null;
  /** its slot in the store, or -1. */
  slot: number;
}

/** Keeps records until Kafka acknowledged them; see the module doc. */
export class ProducerOutbox {
  readonly stats: OutboxStats = {
    sent: 0,
    acked: 0,
    failed: 0,
    resent: 0,
    pending: 0,
    bytesInFlight: 0,
    epochs: 0,
    recovered: 0,
  };
  #pending = new Map<number, Entry>();
  #nextId = 1;
  #epoch: string | null = null;
  #maxBytes: number;
  #retain: boolean;
  #store: RecordStore | null;
  #waiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  #onAcked: (deliveries: Delivery[]) => void = () => {};
  #onFailed: (ids: number[], error: string) => void = () => {};
  /** a re-send to a new producer incarnation is under way: new records queue behind it, in order. */
  #resending = false;

  constructor(readonly port: Port<ProducerLink>, options: OutboxOptions = {}) {
    this.#maxBytes = options.maxBytesInFlight ?? 64 * 1024 * 1024;
    if (!(this.#maxBytes > 0)) throw new RangeError(`Cannot use maxBytesInFlight ${this.#maxBytes}: must be > 0`);
    this.#retain = options.retain ?? true;
    this.#nextId = options.firstId ?? 1;
    this.#store = options.store ?? null;
    if (this.#store && !this.#retain) throw new RangeError("Cannot keep records in a store without retaining them");
    for (const { slot, record } of this.#store?.kept() ?? []) {
      this.#keep(record, "predecessor", slot);
      this.stats.recovered++;
    }
    port.post({ type: "attach" }); // before listening: a hello that arrived early is handled inside onMessage
    port.onMessage((m) => this.#receive(m));
  }

  /** Called with each acknowledgement batch. */
  onAcked(listener: (deliveries: Delivery[]) => void): void {
    this.#onAcked = listener;
  }

  /** Called with records that can never be produced, and why. */
  onFailed(listener: (ids: number[], error: string) => void): void {
    this.#onFailed = listener;
  }

  /** Whether bytes in flight reached the limit: the sender should `await ready()` before sending more. */
  get full(): boolean {
    return this.stats.bytesInFlight >= this.#maxBytes;
  }

  /** Resolves once bytes in flight are below the limit. */
  ready(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves once every record sent so far is acknowledged or failed. */
  drained(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Hands a record to the producer; returns its id (used in acknowledgements). Never blocks: see `full`. */
  send(record: ProduceRecord): number {
    const [id, entry] = this.#keep(record, null, this.#store?.add(record) ?? -1);
    this.stats.sent++;
    if (this.#epoch && !this.#resending) this.#post(id, entry, this.#epoch);
    return id;
  }

  #keep(record: ProduceRecord, sentTo: string | null, slot: number): [number, Entry] {
    const id = this.#nextId++;
    const entry: Entry = { record, bytes: record.value.byteLength, sentTo, slot };
    this.#pending.set(id, entry);
    this.stats.pending++;
    this.stats.bytesInFlight += entry.bytes;
    return [id, entry];
  }

  #post(id: number, entry: Entry, epoch: string): void {
    if (!entry.record) return;
    const record = this.#retain ? copyOf(entry.record) : entry.record;
    if (!this.#retain) entry.record = null;
    entry.sentTo = epoch;
    this.port.post({ type: "produce", epoch, id, record });
  }

  #receive(m: ProducerLink): void {
    switch (m.type) {
      case "hello":
        return this.#hello(m.epoch);
      case "acked":
        this.#settle(m.deliveries.map((d) => d.id));
        this.stats.acked += m.deliveries.length;
        return this.#onAcked(m.deliveries);
      case "failed":
        this.#settle(m.ids);
        this.stats.failed += m.ids.length;
        return this.#onFailed(m.ids, m.error);
    }
  }

  #hello(epoch: string): void {
    if (epoch === this.#epoch) return; // the same incarnation answering our attach: nothing to re-send
    const first = this.#epoch === null;
    this.#epoch = epoch;
    this.stats.epochs++;
    if (this.#pending.size > 0) this.#resend(epoch, this.#pending.entries(), first);
  }

  /**
   * Re-sends every pending record to a new incarnation, in id order, in slices that leave the thread free in
   * between (heartbeats, acknowledgements): 10^5 pending records are seconds of posting. Records sent meanwhile are
   * appended to the pending map and reached by the same walk, so order is kept. A newer `hello` ends the walk.
   */
  #resend(epoch: string, walk: MapIterator<[number, Entry]>, first: boolean): void {
    this.#resending = true;
    const lost: number[] = [];
    for (let n = 0; n < RESEND_SLICE; n++) {
      const next = walk.next();
      if (next.done) {
        this.#resending = false;
        break;
      }
      const [id, entry] = next.value;
      if (!entry.record) lost.push(id);
      else {
        if (!first || entry.sentTo) this.stats.resent++;
        this.#post(id, entry, epoch);
      }
    }
    if (lost.length) {
      this.#settle(lost);
      this.stats.failed += lost.length;
      this.#onFailed(
        lost,
        "the producer restarted before Kafka acknowledged these records, and they were not retained",
      );
    }
    if (this.#resending) {
      setTimeout(() => {
        if (this.#epoch === epoch) this.#resend(epoch, walk, first);
      });
    }
  }

  #settle(ids: number[]): void {
    for (const id of ids) {
      const entry = this.#pending.get(id);
      if (!entry) continue;
      if (entry.slot >= 0) this.#store!.release(entry.slot);
      this.#pending.delete(id);
      this.stats.pending--;
      this.stats.bytesInFlight -= entry.bytes;
    }
    if (!this.full) { for (const w of this.#waiters.splice(0)) w(); }
    if (this.#pending.size === 0) { for (const w of this.#drainWaiters.splice(0)) w(); }
  }
}

/** Records re-sent before the outbox lets other work run. */
const RESEND_SLICE = 2000;

function copyOf(r: ProduceRecord): ProduceRecord {
  return { ...r, value: r.value.slice(), key: r.key instanceof Uint8Array ? r.key.slice() : r.key };
}
