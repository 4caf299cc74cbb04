/** Protocols of the test actors that sit on the other ends of the broker actors' channels. Types only. */
import type { ConsumerLink, Delivery, ProduceRecord, ProducerLink } from "../../protocols/broker.ts";
import type { OutboxStats } from "../../actors/broker/outbox.ts";

/** Sends records through a ProducerOutbox: runs of numbered records, or single records. */
export interface KafkaSenderProtocol {
  in:
    /** `count` records; the value's first 4 bytes are the record's index (u32 LE), the rest filler. */
    | {
      type: "produceRun";
      topic: string;
      count: number;
      /** index of the first record. @default 0 */
      first?: number;
      recordBytes: number;
      /** key `k<index % keys>` when set. */
      keys?: number;
      /** timestamp of record i: `timestampMs + i` when set. */
      timestampMs?: number;
    }
    | { type: "produceOne"; record: ProduceRecord };
  requests: {
    stats: { request: null; reply: OutboxStats & { failures: string[]; deliveries: Delivery[] } };
  };
  out: never;
  ports: { records: ProducerLink };
}

/** What the receiver saw of one partition. */
export interface PartitionSeen {
  topic: string;
  partition: number;
  first: number;
  next: number;
  records: number;
  /** records whose offset was below the next expected one (delivered again). */
  repeated: number;
  /** jumps over offsets (records never delivered). */
  gaps: number;
  keys: string[];
  endOfPartition: number | null;
}

/** Receives consumer batches through a ConsumerInbox and keeps a summary. */
export interface KafkaReceiverProtocol {
  in: never;
  requests: {
    summary: {
      request: null;
      reply: {
        records: number;
        /** distinct record indices (value's first 4 bytes) seen, and indices seen more than once. */
        distinct: number;
        duplicates: number;
        partitions: PartitionSeen[];
        /** size and byte sum of records of more than 1 MiB. */
        large: { bytes: number; sum: number; timestampMs: number }[];
        staleBatches: number;
      };
    };
  };
  out: never;
  ports: { batches: ConsumerLink };
}

/** Configuration of the receiver. */
export interface KafkaReceiverConfig {
  /** size of the index bitmap (largest index + 1). */
  expect: number;
}
