/**
 * A 3-broker KRaft cluster: a topic with replication 3 and min.insync.replicas=2, one broker killed (SIGKILL) during a
 * produce run; every record the producer acknowledged is consumed afterwards.
 */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { startKafka } from "../_harness/kafka.ts";
import { startPipeline } from "./pipeline.ts";
import { eventually } from "../_harness/wait.ts";

const TOTAL = 30_000;

Deno.test("3 brokers, one killed during a produce run: no acknowledged record lost", async () => {
  const kafka = await startKafka({ brokers: 3, heapMb: 512 });
  try {
    assert.equal(kafka.bootstrap.split(",").length, 3);
    const admin = await BrokerAdmin.connect(kafka.connection);
    try {
      await admin.createTopics([{
        topic: "replicated",
        partitions: 3,
        replication: 3,
        configs: { "min.insync.replicas": "2" },
      }]);
    } finally {
      await admin.close();
    }
    const p = await startPipeline(kafka.connection, { produce: { batchBytes: 64 * 1024 } });
    try {
      const half = TOTAL / 2;
      p.sender!.send({ type: "produceRun", topic: "replicated", count: half, recordBytes: 200 });
      await eventually("a third acknowledged", () => p.sender!.request("stats", null), (s) => s.acked >= TOTAL / 3);
      await kafka.killNode(2);
      p.sender!.send({ type: "produceRun", topic: "replicated", first: half, count: half, recordBytes: 200 });
      const sent = await eventually(
        "every record acknowledged or failed",
        () => p.sender!.request("stats", null),
        (s) => s.sent === TOTAL && s.pending === 0,
        120_000,
      );
      assert.deepEqual(sent.failures, []);
      assert.equal(sent.acked, TOTAL);
    } finally {
      await p.system.stop();
    }
    const c = await startPipeline(kafka.connection, {
      consume: { topics: [{ topic: "replicated" }], start: "beginning" },
      expect: TOTAL,
    });
    try {
      const got = await eventually(
        "every acknowledged record",
        () => c.receiver!.request("summary", null),
        (s) => s.distinct >= TOTAL,
        120_000,
      );
      assert.equal(got.distinct, TOTAL);
      for (const x of got.partitions) assert.equal(x.gaps, 0);
      console.log(`after the broker kill: ${got.duplicates} duplicates (retried requests whose first try was stored)`);
    } finally {
      await c.system.stop();
    }
  } finally {
    await kafka.stop();
  }
});
