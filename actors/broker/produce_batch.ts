/**
 * How the producer actor splits a batch into produce calls: one kafkajs `send` per topic-partition, each record's
 * partition chosen once (explicit, else Kafka's default partitioner over the topic's partitions) and kept across
 * re-sends.
 *
 * Why one call per partition: kafkajs 2.2.4 retries a multi-broker `sendBatch` by re-partitioning all its records and
 * skipping brokers that already answered, so records of a partition whose leader moved to such a broker are never
 * sent, yet the call succeeds. With one partition per call only one broker is involved and its retry re-sends the
 * same records with the same sequence numbers (which the idempotent broker de-duplicates).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Partitioners, type PartitionMetadata } from "kafkajs";
import type { Delivery, ProduceRecord } from "../../protocols/broker.ts";

/** A record queued in the producer with the sender's id and, once chosen, its partition. */
export interface Pending {
  id: number;
  record: ProduceRecord;
  partition?: number;
}

/** Chooses partitions like Kafka's default partitioner: murmur2 of the key, round robin without one. */
export class PartitionChooser {
  #partitioner = Partitioners.DefaultPartitioner();

  /** Sets `partition` on each record that has none yet, given each topic's partitions. */
  assign(batch: Pending[], partitionsOf: (topic: string) => PartitionMetadata[]): void {
    for (const p of batch) {
      if (p.partition !== undefined) continue;
      const r = p.record;
      if (r.partition !== undefined) {
        p.partition = r.partition;
        continue;
      }
      const key = r.key === undefined ? null : typeof r.key === "string" ? r.key : Buffer.from(r.key);
      p.partition = this.#partitioner({
        topic: r.topic,
        partitionMetadata: partitionsOf(r.topic),
        message: { key, value: null },
      });
    }
  }
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
