/**
 * The producer actor's poison-record path against a real broker: a record that can never be produced (too large
 * for the topic's max.message.bytes, or for a partition the topic does not have) is reported to its sender as
 * failed, dropped and counted, while the actor keeps running and the good records around it are produced, in order.
 */
import assert from "node:assert/strict";
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from "@platformatic/kafka";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { type ReadRecord, readTopics } from "../../actors/broker/client.ts";
import { clientOptions } from "../../actors/broker/connection.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { startKafka } from "../_harness/kafka.ts";
import { eventually } from "../_harness/wait.ts";
import { type Pipeline, startPipeline } from "./pipeline.ts";

/** A value whose first 4 bytes are `index` (u32 LE), `bytes` long. */
function numbered(index: number, bytes: number): Uint8Array {
  const value = new Uint8Array(bytes);
  new DataView(value.buffer).setUint32(0, index, true);
  return value;
}

/** The indices and sizes of every record now in the topic, in offset order (one partition). */
async function readBack(connection: ConnectionOptions, topic: string, count: number): Promise<number[][]> {
  const seen: ReadRecord[] = [];
  const reader = await readTopics(connection, [topic], "beginning", (r) => void seen.push(r));
  try {
    await eventually(`${count} records in ${topic}`, () => seen.length, (n) => n >= count);
  } finally {
    await reader.stop();
  }
  return seen.map((r) => [new DataView(r.value.buffer, r.value.byteOffset).getUint32(0, true), r.value.byteLength]);
}

/** Sets a topic's max.message.bytes on the broker (a test's stand-in for an operator changing it). */
async function lowerLimit(connection: ConnectionOptions, topic: string, bytes: number): Promise<void> {
  const client = new Admin(clientOptions(connection));
  try {
    await client.incrementalAlterConfigs({
      resources: [{
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configs: [{
          name: "max.message.bytes",
          configOperation: IncrementalAlterConfigOperationTypes.SET,
          value: String(bytes),
        }],
      }],
    });
  } finally {
    await client.close();
  }
}

/**
 * Sends records `sent + 1`..n through the sender's outbox (the first `sent` were sent already; ids are 1..n in
 * order), waits until each is settled, and checks that exactly record `poison` failed: the outbox settles an id only
 * when the producer names it in `acked` or `failed`, so with every other id acknowledged, nothing pending and one
 * failure, that failure named the poison record's id.
 */
async function sendAround(
  p: Pipeline,
  records: { topic: string; partition: number; bytes: number }[],
  poison: number,
  sent = 0,
) {
  for (let i = sent; i < records.length; i++) {
    const r = records[i];
    p.sender!.send({
      type: "produceOne",
      record: { topic: r.topic, partition: r.partition, value: numbered(i + 1, r.bytes) },
    });
  }
  const stats = await eventually(
    "every record acknowledged or failed",
    () => p.sender!.request("stats", null),
    (s) => s.acked + s.failed === records.length,
  );
  assert.equal(stats.pending, 0);
  assert.equal(stats.failed, 1, `one failure: ${stats.failures.join("; ")}`);
  const acked = stats.deliveries.map((d) => d.id).sort((a, b) => a - b);
  const others = records.map((_, i) => i + 1).filter((id) => id !== poison);
  assert.deepEqual(acked, others, "every record but the poison one acknowledged");
  return stats;
}

Deno.test("the producer actor fails a poison record alone, counts it, and produces the records around it", async (t) => {
  const kafka = await startKafka();
  const admin = await BrokerAdmin.connect(kafka.connection);
  try {
    await t.step(
      "a record above the topic's max.message.bytes, in one round with good ones before and after it",
      async () => {
        await admin.createTopics([{ topic: "poison-size", configs: { "max.message.bytes": "100000" } }]);
        // a long linger puts the 5 records in one round; the round is cut into requests that fit the topic's limit, so
        // the oversized record goes in a request of its own, which the broker refuses
        const p = await startPipeline(kafka.connection, { produce: { lingerMs: 1000 } });
        try {
          const sizes = [1000, 2000, 300_000, 3000, 4000];
          const sent = await sendAround(p, sizes.map((bytes) => ({ topic: "poison-size", partition: 0, bytes })), 3);
          assert.match(
            sent.failures[0],
            /^1 records: Cannot produce 300000 bytes to poison-size: .*(too large|larger)/i,
          );
          const stats = await p.producer!.request("stats", null);
          assert.equal(stats.failed, 1, "the producer counted the poison record");
          assert.equal(stats.acked, 4);
          assert.equal(stats.queued, 0);
          assert.equal(p.system.find("producer").restarts, 0, "a poison record is no reason to crash");
          assert.equal((await admin.listOffsets("poison-size"))[0].high, 4, "nothing else stored");
          assert.deepEqual(await readBack(kafka.connection, "poison-size", 4), [[1, 1000], [2, 2000], [4, 3000], [
            5,
            4000,
          ]]);
        } finally {
          await p.system.stop();
        }
      },
    );

    await t.step("a topic's limit lowered after the producer read it: the refused request is taken apart", async () => {
      await admin.createTopics([{ topic: "poison-stale" }]);
      const p = await startPipeline(kafka.connection, { produce: { lingerMs: 1000 } });
      try {
        const records = [1000, 2000, 300_000, 3000].map((bytes) => ({ topic: "poison-stale", partition: 0, bytes }));
        // record 1 makes the producer read the topic's max.message.bytes (Kafka's default, 1 MB) ...
        p.sender!.send({
          type: "produceOne",
          record: { topic: "poison-stale", partition: 0, value: numbered(1, records[0].bytes) },
        });
        await eventually("the first ack", () => p.sender!.request("stats", null), (s) => s.acked === 1);
        // ... then the limit drops below record 3: records 2-4 still go in one request, which the broker refuses
        await lowerLimit(kafka.connection, "poison-stale", 100_000);
        await eventually("the new limit", () => admin.maxMessageBytes("poison-stale"), (n) => n === 100_000);
        const sent = await sendAround(p, records, 3, 1);
        assert.match(
          sent.failures[0],
          /^1 records: Cannot produce 300000 bytes to poison-stale: .*(too large|larger)/i,
        );
        const stats = await p.producer!.request("stats", null);
        assert.equal(stats.failed, 1, "the producer counted the poison record");
        assert.equal(stats.acked, 3);
        assert.equal(p.system.find("producer").restarts, 0, "a poison record is no reason to crash");
        assert.equal((await admin.listOffsets("poison-stale"))[0].high, 3, "nothing else stored");
        assert.deepEqual(await readBack(kafka.connection, "poison-stale", 3), [[1, 1000], [2, 2000], [4, 3000]]);
      } finally {
        await p.system.stop();
      }
    });
    await t.step("a record for a partition the topic does not have, between good ones", async () => {
      await admin.createTopics([{ topic: "poison-partition", partitions: 2 }]);
      const p = await startPipeline(kafka.connection, { produce: { lingerMs: 1000 } });
      try {
        const records = [0, 1, 5, 0, 1].map((partition) => ({ topic: "poison-partition", partition, bytes: 100 }));
        const sent = await sendAround(p, records, 3);
        assert.match(sent.failures[0], /^1 records: Cannot produce to partition 5 of topic poison-partition: it has 2/);
        for (const d of sent.deliveries) assert.equal(d.partition, records[d.id - 1].partition, `record ${d.id}`);
        const stats = await p.producer!.request("stats", null);
        assert.equal(stats.failed, 1, "the producer counted the record");
        assert.equal(stats.acked, 4);
        assert.equal(p.system.find("producer").restarts, 0);
        assert.deepEqual(
          (await admin.listOffsets("poison-partition")).map((o) => o.high),
          [2, 2],
          "nothing else stored",
        );
      } finally {
        await p.system.stop();
      }
    });
  } finally {
    await admin.close();
    await kafka.stop();
  }
});
