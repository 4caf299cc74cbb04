/** The producer and consumer actors against a real single broker: keys, large records, seek by timestamp. */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { startKafka } from "../_harness/kafka.ts";
import { startPipeline } from "./pipeline.ts";
import type { BrokerStatus } from "../../protocols/broker.ts";
import { eventually } from "../_harness/wait.ts";

Deno.test("producer and consumer actors on one broker", async (t) => {
  const kafka = await startKafka();
  const admin = await BrokerAdmin.connect(kafka.connection);
  try {
    await t.step("keyed records round-trip; each key stays in one partition; end of partition noticed", async () => {
      await admin.createTopics([{ topic: "keyed", partitions: 3 }]);
      const p = await startPipeline(kafka.connection, {
        produce: {},
        consume: { topics: [{ topic: "keyed" }], start: "beginning" },
        expect: 1000,
      });
      try {
        p.sender!.send({ type: "produceRun", topic: "keyed", count: 1000, recordBytes: 64, keys: 5 });
        const sent = await eventually("1000 acks", () => p.sender!.request("stats", null), (s) => s.acked === 1000);
        assert.deepEqual(sent.failures, []);
        assert.equal(sent.deliveries.length, 1000);
        const offsets = await admin.listOffsets("keyed");
        const got = await eventually(
          "1000 records and an end-of-partition notice per partition",
          () => p.receiver!.request("summary", null),
          (s) =>
            s.records >= 1000 &&
            offsets.every((o) =>
              o.high === 0 || s.partitions.some((x) => x.partition === o.partition && x.endOfPartition === o.high)
            ),
        );
        assert.equal(got.distinct, 1000);
        assert.equal(got.duplicates, 0);
        const keys = got.partitions.flatMap((x) => x.keys);
        assert.equal(new Set(keys).size, 5, "5 keys");
        assert.equal(keys.length, 5, "no key in two partitions");
        for (const x of got.partitions) assert.equal(x.gaps, 0);
      } finally {
        await p.system.stop();
      }
    });

    await t.step("a 60 MB record round-trips whole, with its caller-set timestamp", async () => {
      await admin.createTopics([{ topic: "large", configs: { "max.message.bytes": String(100 * 1024 * 1024) } }]);
      const p = await startPipeline(kafka.connection, {
        produce: {},
        consume: { topics: [{ topic: "large" }], start: "beginning" },
      });
      try {
        const value = new Uint8Array(60 * 1024 * 1024);
        let sum = 0;
        for (let i = 0; i < value.length; i++) {
          value[i] = (i * 7 + 3) & 255;
          sum = (sum + value[i]) >>> 0;
        }
        const bytes = value.length;
        p.sender!.send({ type: "produceOne", record: { topic: "large", value, timestampMs: 1_650_000_000_123 } });
        assert.equal(value.length, 0, "the value was moved to the sender, not copied");
        const sent = await eventually(
          "ack of the large record",
          () => p.sender!.request("stats", null),
          (s) => s.acked + s.failed === 1,
        );
        assert.deepEqual(sent.failures, []);
        const got = await eventually(
          "the large record",
          () => p.receiver!.request("summary", null),
          (s) => s.large.length > 0,
        );
        assert.deepEqual(got.large, [{ bytes, sum, timestampMs: 1_650_000_000_123 }]);
      } finally {
        await p.system.stop();
      }
    });

    await t.step("a batch above the topic's max.message.bytes goes in requests that fit: none is refused", async () => {
      await admin.createTopics([{ topic: "small-batches", configs: { "max.message.bytes": "200000" } }]);
      assert.equal(await admin.maxMessageBytes("small-batches"), 200_000);
      const p = await startPipeline(kafka.connection, {
        produce: { batchBytes: 4 * 1024 * 1024, lingerMs: 200 },
        consume: { topics: [{ topic: "small-batches" }], start: "beginning" },
        expect: 40,
      });
      try {
        p.sender!.send({ type: "produceRun", topic: "small-batches", count: 40, recordBytes: 50_000 });
        const sent = await eventually("40 acks", () => p.sender!.request("stats", null), (s) => s.acked === 40);
        assert.deepEqual(sent.failures, []);
        // 3 records of 50 kB fit 200 kB: 14 requests; a refused 2 MB request and 40 single retries would be 41
        const { requests } = await p.producer!.request("stats", null);
        assert.ok(requests >= 14 && requests <= 20, `${requests} requests`);
        const got = await eventually("40 records", () => p.receiver!.request("summary", null), (s) => s.records >= 40);
        assert.equal(got.distinct, 40);
      } finally {
        await p.system.stop();
      }
    });

    await t.step("a record over the producer's limit is refused with a clear error, not produced", async () => {
      const p = await startPipeline(kafka.connection, { produce: { maxRecordBytes: 1024 } });
      try {
        p.sender!.send({ type: "produceOne", record: { topic: "large", value: new Uint8Array(2048) } });
        const s = await eventually("the refusal", () => p.sender!.request("stats", null), (s) => s.failed === 1);
        assert.match(s.failures[0], /2048 bytes for large exceeds maxRecordBytes 1024/);
      } finally {
        await p.system.stop();
      }
    });

    await t.step(
      "a record the broker refuses (above max.message.bytes) fails alone; the rest are produced",
      async () => {
        await admin.createTopics([{ topic: "refusing", configs: { "max.message.bytes": "100000" } }]);
        const p = await startPipeline(kafka.connection, { produce: { lingerMs: 100 } });
        try {
          for (const bytes of [1000, 300_000, 1000]) {
            p.sender!.send({ type: "produceOne", record: { topic: "refusing", value: new Uint8Array(bytes) } });
          }
          const s = await eventually("2 acks and the refusal", () => p.sender!.request("stats", null), (s) => {
            return s.acked === 2 && s.failed === 1;
          });
          assert.match(s.failures[0], /Cannot produce 300000 bytes to refusing: .*(too large|larger)/i);
          assert.equal(p.system.find("producer").restarts, 0, "a refused record is no reason to crash");
          assert.equal((await admin.listOffsets("refusing"))[0].high, 2);
        } finally {
          await p.system.stop();
        }
      },
    );

    await t.step("a consumer of a topic that does not exist says so and waits for it, never crashing", async () => {
      const p = await startPipeline(kafka.connection, {
        produce: {},
        consume: { topics: [{ topic: "created-later" }], start: "beginning" },
      });
      try {
        const notices: BrokerStatus[] = [];
        p.consumer!.onEmit((m) => void notices.push(m));
        await eventually(
          "a notice naming the topic",
          () => notices,
          (n) => n.some((m) => /created-later/.test(m.error ?? "")),
        );
        assert.equal(p.system.find("consumer").restarts, 0, "a missing topic is no reason to crash");
        await admin.createTopics([{ topic: "created-later" }]);
        p.sender!.send({ type: "produceOne", record: { topic: "created-later", value: new Uint8Array(16) } });
        await eventually(
          "the record, once the topic exists",
          () => p.receiver!.request("summary", null),
          (s) => s.records === 1,
        );
        assert.equal(p.system.find("consumer").restarts, 0);
      } finally {
        await p.system.stop();
      }
    });

    await t.step("seek by timestamp starts each partition at the first record at or after it", async () => {
      await admin.createTopics([{ topic: "times", partitions: 2 }]);
      const t0 = 1_700_000_000_000;
      const p = await startPipeline(kafka.connection, { produce: {} });
      try {
        for (let i = 0; i < 200; i++) {
          const value = new Uint8Array(8);
          new DataView(value.buffer).setUint32(0, i, true);
          p.sender!.send({
            type: "produceOne",
            record: { topic: "times", partition: i % 2, value, timestampMs: t0 + 10 * i },
          });
        }
        await eventually("200 acks", () => p.sender!.request("stats", null), (s) => s.acked === 200);
      } finally {
        await p.system.stop();
      }
      // record i is in partition i % 2 at offset floor(i / 2); t0 + 1005 falls between records 100 and 101.
      const c = await startPipeline(kafka.connection, {
        consume: { topics: [{ topic: "times" }], start: { timestampMs: t0 + 1005 } },
        expect: 200,
      });
      try {
        const got = await eventually("99 records", () => c.receiver!.request("summary", null), (s) => s.records >= 99);
        const first = Object.fromEntries(got.partitions.map((x) => [x.partition, x.first]));
        assert.deepEqual(first, { 0: 51, 1: 50 });
        assert.equal(got.records, 99);
      } finally {
        await c.system.stop();
      }
    });
  } finally {
    await admin.close();
    await kafka.stop();
  }
});
