/**
 * A small Kafka client for short-lived commands and tests: produce a few records and wait for Kafka's
 * acknowledgement, or follow topics from a position. Long-running data paths use the producer and consumer actors.
 * Returns nxflow's own types only.
 *
 * @example
 * ```ts
 * await produceRecords(connection, [{ topic: "commands", value: bytes }]);
 * const reader = await readTopics(connection, ["answers"], "end", (r) => console.log(r.offset));
 * await reader.stop();
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Consumer, Producer } from "@platformatic/kafka";
import type { ConnectionOptions, ProduceRecord } from "../../protocols/broker.ts";
import { BrokerAdmin } from "./admin.ts";
import { clientOptions, describeConnection } from "./connection.ts";
import { causeOf } from "./errors.ts";
import { PartitionFetcher } from "./fetcher.ts";
import { keyPartition, toHeaders } from "./produce_batch.ts";

/** A record read by {@linkcode readTopics}; `value` and `key` are copies the caller owns. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: number;
  timestampMs: number;
  key: Uint8Array | null;
  value: Uint8Array;
  headers: Record<string, string>;
}

/** Raised when records cannot be produced or topics cannot be read; says why and where. */
export class KafkaClientError extends Error {
  override name = "KafkaClientError";
}

/**
 * Produces records (acks=all, idempotent) and returns each one's partition and offset, in order. Records with a key
 * go to its partition (Kafka's default partitioner), others to partition 0 unless they name one. Records go in
 * requests of up to `perRequest` records (and 8 MiB), one after the other.
 *
 * @throws {KafkaClientError} the cluster cannot be reached or refused a record.
 */
export async function produceRecords(
  connection: ConnectionOptions,
  records: ProduceRecord[],
  perRequest = 1000,
): Promise<{ partition: number; offset: number }[]> {
  const admin = await BrokerAdmin.connect(connection);
  const producer = new Producer({ ...clientOptions(connection), idempotent: true, acks: -1 });
  try {
    const counts = new Map<string, number>();
    for (const topic of new Set(records.map((r) => r.topic))) counts.set(topic, (await admin.partitions(topic)).length);
    const out: { partition: number; offset: number }[] = [];
    for (let i = 0; i < records.length;) {
      const chunk: ProduceRecord[] = [];
      for (let bytes = 0; i < records.length && chunk.length < perRequest && bytes < 8 * 1024 * 1024; i++) {
        chunk.push(records[i]);
        bytes += records[i].value.byteLength;
      }
      const partitions = chunk.map((r) =>
        r.partition ?? (r.key === undefined ? 0 : keyPartition(r.key, counts.get(r.topic)!))
      );
      const result = await producer.send({
        messages: chunk.map((r, k) => ({
          topic: r.topic,
          partition: partitions[k],
          key: r.key === undefined ? undefined : Buffer.from(r.key),
          value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
          timestamp: r.timestampMs === undefined ? undefined : BigInt(Math.trunc(r.timestampMs)),
          headers: r.headers ? toHeaders(r.headers) : undefined,
        })),
      }) as { offsets?: { topic: string; partition: number; offset: bigint }[] };
      const next = new Map<string, number>();
      for (const o of result.offsets ?? []) next.set(`${o.topic}\u0000${o.partition}`, Number(o.offset));
      chunk.forEach((r, k) => {
        const key = `${r.topic}\u0000${partitions[k]}`;
        const offset = next.get(key) ?? -1;
        out.push({ partition: partitions[k], offset });
        if (offset >= 0) next.set(key, offset + 1);
      });
    }
    return out;
  } catch (error) {
    throw new KafkaClientError(`Cannot produce to Kafka at ${describeConnection(connection)}: ${causeOf(error)}`);
  } finally {
    await producer.close(true).catch(() => {});
    await admin.close();
  }
}

/**
 * Follows topics from their beginning or their end as they are now (topics that do not exist are skipped), calling
 * `onRecord` for each record in order per partition, until `stop()`. Returns the topics it reads.
 */
export async function readTopics(
  connection: ConnectionOptions,
  topics: string[],
  from: "beginning" | "end",
  onRecord: (record: ReadRecord) => void,
): Promise<{ topics: string[]; stop: () => Promise<void> }> {
  const admin = await BrokerAdmin.connect(connection);
  const client = new Consumer({ ...clientOptions(connection), groupId: `nxflow.reader.${crypto.randomUUID()}` });
  const decoder = new TextDecoder();
  const fetcher = new PartitionFetcher(client, {
    maxWaitMs: 200,
    onBatch: (batch) => {
      for (const r of batch.records) {
        const headers: Record<string, string> = {};
        for (const [k, v] of r.headers) if (k) headers[decoder.decode(k)] = v ? decoder.decode(v) : "";
        onRecord({
          topic: batch.topic,
          partition: batch.partition,
          offset: r.offset,
          timestampMs: r.timestampMs,
          key: r.key ? new Uint8Array(r.key) : null,
          value: r.value ? new Uint8Array(r.value) : new Uint8Array(0),
          headers,
        });
      }
    },
  });
  const read: string[] = [];
  try {
    for (const topic of topics) {
      if (!(await admin.topicExists(topic))) continue;
      read.push(topic);
      for (const o of await admin.listOffsets(topic)) fetcher.set(topic, o.partition, from === "end" ? o.high : o.low);
    }
  } finally {
    await admin.close();
  }
  fetcher.start();
  return {
    topics: read,
    async stop() {
      await fetcher.stop();
      await client.close(true).catch(() => {});
    },
  };
}
