/**
 * How the producer actor splits a batch into produce requests: one request per topic-partition (and per run that
 * fits the topic's limit), each record's partition chosen once (explicit, else Kafka's default partitioner over the
 * topic's partitions) and kept across re-sends, so that a retried request carries the same records in the same
 * order and the idempotent broker can drop what it already stored.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { murmur2 } from "@platformatic/kafka";
import type { Delivery, ProduceRecord } from "../../protocols/broker.ts";

/** A record queued in the producer with the sender's id and, once chosen, its partition. */
export interface Pending {
  id: number;
  record: ProduceRecord;
  partition?: number;
}

/** Chooses partitions like Kafka's default partitioner: murmur2 of the key, round robin without one. */
export class PartitionChooser {
  #next = new Map<string, number>();

  /** Sets `partition` on each record that has none yet, given each topic's partition count. */
  assign(batch: Pending[], partitionsOf: (topic: string) => number): void {
    for (const p of batch) {
      if (p.partition !== undefined) continue;
      const r = p.record;
      if (r.partition !== undefined) {
        p.partition = r.partition;
        continue;
      }
      const count = partitionsOf(r.topic);
      if (r.key === undefined) {
        const next = this.#next.get(r.topic) ?? 0;
        this.#next.set(r.topic, next + 1);
        p.partition = next % count;
      } else p.partition = keyPartition(r.key, count);
    }
  }
}

/** Kafka's partition of a key (Java's `toPositive(murmur2(key)) % partitions`). */
export function keyPartition(key: string | Uint8Array, partitions: number): number {
  const bytes = typeof key === "string" ? Buffer.from(key) : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return (murmur2(bytes, false) & 0x7fffffff) % partitions;
}

/** Record headers as the client library takes them. */
export function toHeaders(headers: Record<string, string>): Map<Buffer, Buffer> {
  return new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
}

/** Groups records by topic and partition, keeping their order. */
export function byPartition(batch: Pending[]): Pending[][] {
  const groups = new Map<string, Pending[]>();
  for (const p of batch) {
    const k = `${p.record.topic}\u0000${p.partition}`;
    const list = groups.get(k);
    if (list) list.push(p);
    else groups.set(k, [p]);
  }
  return [...groups.values()];
}

/** Kafka's default `max.message.bytes`, assumed when a topic's own cannot be read (e.g. no DescribeConfigs right). */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Bytes a record adds to a record batch besides its key and value (lengths, offsets, timestamp; generous). */
const RECORD_OVERHEAD = 64;
/** Bytes of a record batch's own header (61), rounded up. */
const BATCH_OVERHEAD = 128;

/**
 * Cuts one partition's records, in order, into runs that each fit a record batch of at most `maxBatchBytes` (the
 * topic's `max.message.bytes`); a record too large on its own still gets a run of its own (the broker refuses it).
 */
export function chunksWithin(group: Pending[], maxBatchBytes: number): Pending[][] {
  const chunks: Pending[][] = [];
  let chunk: Pending[] = [];
  let bytes = BATCH_OVERHEAD;
  for (const p of group) {
    const r = p.record;
    const key = r.key === undefined ? 0 : typeof r.key === "string" ? r.key.length * 3 : r.key.byteLength;
    const headers = r.headers ? JSON.stringify(r.headers).length * 3 : 0;
    const size = r.value.byteLength + key + headers + RECORD_OVERHEAD;
    if (chunk.length > 0 && bytes + size > maxBatchBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = BATCH_OVERHEAD;
    }
    chunk.push(p);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** The deliveries of one partition's records, stored from `baseOffset` on in order. */
export function deliveriesOf(group: Pending[], baseOffset: number): Delivery[] {
  return group.map((p, i) => ({ id: p.id, topic: p.record.topic, partition: p.partition!, offset: baseOffset + i }));
}
