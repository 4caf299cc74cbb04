/**
 * What the Kafka client underneath the broker actors must do that the previous one could not, against a real
 * broker: read a topic written by Kafka's own Java producer with record batches of 200,000 records, and let a
 * restarted subscribe-mode consumer with a static group membership take its partitions back at once.
 */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { keyPartition } from "../../actors/broker/produce_batch.ts";
import type { ActorSystem } from "../../actors/runtime/mod.ts";
import { runJavaTool } from "../../actors/common/local_kafka/jvm.ts";
import { classPath, installKafka } from "../../actors/common/local_kafka/install.ts";
import { startKafka } from "../_harness/kafka.ts";
import { eventually } from "../_harness/wait.ts";
import { startPipeline } from "./pipeline.ts";

Deno.test("keys go to Kafka's default partition (murmur2, as Java's producer)", () => {
  // computed with kafka-clients 4.1.1 in jshell: Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % 1000
  const java: Record<string, number> = {
    "21": 340,
    "foobar": 166,
    "abc": 107,
    "a-little-bit-long-string": 112,
    "nxflow-key-7": 423,
  };
  for (const [key, partition] of Object.entries(java)) assert.equal(keyPartition(key, 1000), partition, key);
});

Deno.test("a topic written in record batches of 200,000 records by Kafka's Java producer is read whole", async () => {
  const kafka = await startKafka();
  try {
    const admin = await BrokerAdmin.connect(kafka.connection);
    await admin.createTopics([{ topic: "big-batches", configs: { "max.message.bytes": String(64 * 1024 * 1024) } }]);
    await admin.close();
    // one batch per 200,000 records: the batch only closes when the producer flushes at its end
    await runJavaTool(classPath(await installKafka()), ["-Xmx1g"], "org.apache.kafka.tools.ProducerPerformance", [
      ...["--topic", "big-batches", "--num-records", "200000", "--record-size", "8", "--throughput", "-1"],
      "--producer-props",
      `bootstrap.servers=${kafka.bootstrap}`,
      ...["acks=all", "linger.ms=60000", "batch.size=67108864", "max.request.size=67108864"],
      "buffer.memory=134217728",
    ]);
    const c = await startPipeline(kafka.connection, {
      consume: { topics: [{ topic: "big-batches" }], start: "beginning" },
    });
    try {
      const got = await eventually(
        "200,000 records",
        () => c.receiver!.request("summary", null),
        (s) => s.records >= 200_000,
        60_000,
      );
      assert.equal(got.records, 200_000);
      assert.deepEqual(got.partitions.map((p) => [p.first, p.next, p.gaps, p.repeated]), [[0, 200_000, 0, 0]]);
      assert.equal(c.system.find("consumer").restarts, 0);
    } finally {
      await c.system.stop();
    }
  } finally {
    await kafka.stop();
  }
});

/** Crashes an actor through the fault-injection API once it runs. */
async function crash(system: ActorSystem, id: string): Promise<void> {
  const host = system.find(id);
  await eventually(`${id} running`, () => Promise.resolve(host.state), (s) => s === "running", 20_000);
  system.inject(id, "crash");
}

Deno.test("subscribe mode, static membership: a restarted consumer reads on before the session timeout", async () => {
  const SESSION_MS = 30_000;
  const kafka = await startKafka();
  try {
    const admin = await BrokerAdmin.connect(kafka.connection);
    await admin.createTopics([{ topic: "static", partitions: 2 }]);
    await admin.close();
    const p = await startPipeline(kafka.connection, {
      produce: {},
      consume: {
        topics: [{ topic: "static" }],
        mode: "subscribe",
        groupId: "nxflow.static-test",
        groupInstanceId: "nxflow-static-test-1",
        sessionTimeoutMs: SESSION_MS,
        start: "beginning",
      },
      expect: 400,
    });
    try {
      p.sender!.send({ type: "produceRun", topic: "static", first: 0, count: 200, recordBytes: 16 });
      await eventually("200 records", () => p.receiver!.request("summary", null), (s) => s.distinct >= 200, 60_000);
      await crash(p.system, "consumer");
      const crashed = Date.now();
      p.sender!.send({ type: "produceRun", topic: "static", first: 200, count: 200, recordBytes: 16 });
      const got = await eventually(
        "the records sent after the crash",
        () => p.receiver!.request("summary", null),
        (s) => s.distinct >= 400,
        SESSION_MS * 2,
      );
      const ms = Date.now() - crashed;
      console.log(
        `static membership: ${ms} ms from the consumer's crash to every record after it (session ${SESSION_MS} ms)`,
      );
      assert.equal(got.distinct, 400);
      assert.equal(p.system.find("consumer").restarts, 1);
      assert.ok(ms < SESSION_MS, `read on after ${ms} ms, not before the session timeout of ${SESSION_MS} ms`);
    } finally {
      await p.system.stop();
    }
  } finally {
    await kafka.stop();
  }
});
