/**
 * Maps a produce response back to the records of the request: which partition and offset each record got.
 *
 * Kafka answers one base offset per topic-partition. Records of a topic whose response names a single partition all
 * went there, in request order; so did records with an explicit partition when every record of the topic had one.
 * Otherwise (keyed or spread records over several partitions in one request) the partition and offset are reported
 * as -1: the record is acknowledged, its place is not known.
 *
 * @module
 */
import type { RecordMetadata } from "kafkajs";
import type { Delivery, ProduceRecord } from "../../protocols/broker.ts";

/** A record queued in the producer with the sender's id. */
export interface Pending {
  id: number;
  record: ProduceRecord;
}

/** The deliveries of a request's records, grouped by topic in request order, from the produce response. */
export function deliveriesOf(byTopic: Map<string, Pending[]>, result: RecordMetadata[]): Delivery[] {
  const out: Delivery[] = [];
  for (const [topic, list] of byTopic) {
    const parts = result.filter((m) => m.topicName === topic);
    const allExplicit = list.every((p) => p.record.partition !== undefined);
    const next = new Map<number, number>();
    for (const m of parts) next.set(m.partition, Number(m.baseOffset));
    for (const p of list) {
      const partition = parts.length === 1 ? parts[0].partition : allExplicit ? p.record.partition! : -1;
      const base = next.get(partition);
      if (partition < 0 || base === undefined) {
        out.push({ id: p.id, topic, partition: -1, offset: -1 });
        continue;
      }
      out.push({ id: p.id, topic, partition, offset: base });
      next.set(partition, base + 1);
    }
  }
  return out;
}
