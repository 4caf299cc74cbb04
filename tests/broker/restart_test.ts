/**
 * Delivery across actor restarts, against a real broker: the producer actor crashed 10 times (fault injection)
 * during a run of 100k records loses none; the consumer actor crashed twice resumes without gaps; an unreachable
 * broker is reported with its cause and retried without a crash loop.
 */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import type { ActorSystem } from "../../actors/runtime/mod.ts";
import type { BrokerStatus } from "../../protocols/broker.ts";
import { freePorts } from "../../actors/common/local_kafka/ports.ts";
import { startKafka } from "../_harness/kafka.ts";
import { startPipeline } from "./pipeline.ts";
import { eventually } from "../_harness/wait.ts";

const TOTAL = 100_000;
const SEGMENTS = 10;

/**
 * Crashes an actor through the fault-injection API, waiting for it to run first (it may be restarting) and then for
 * the crash to be seen (a busy worker takes the fault after the task it is in: injecting again before that would
 * hit the same incarnation).
 */
async function crash(system: ActorSystem, id: string): Promise<void> {
  const host = system.find(id);
  await eventually(`${id} running`, () => Promise.resolve(host.state), (s) => s === "running", 20_000);
  const before = host.restarts;
  system.inject(id, "crash");
  await eventually(`${id} crashed`, () => Promise.resolve(host.restarts), (n) => n > before, 20_000);
}

Deno.test("delivery across producer and consumer actor crashes", async (t) => {
  const kafka = await startKafka();
  const admin = await BrokerAdmin.connect(kafka.connection);
  try {
    await admin.createTopics([{ topic: "crashy", partitions: 4 }]);

    await t.step("producer crashed 10 times during 100k records: all arrive, duplicates counted", async () => {
      const p = await startPipeline(kafka.connection, { produce: { batchBytes: 16 * 1024 } });
      try {
        const per = TOTAL / SEGMENTS;
        for (let k = 0; k < SEGMENTS; k++) {
          p.sender!.send({ type: "produceRun", topic: "crashy", first: k * per, count: per, recordBytes: 100 });
          await eventually("progress", () => p.sender!.request("stats", null), (s) => s.acked + s.pending > k * per);
          await crash(p.system, "producer");
        }
        const sent = await eventually(
          "every record acknowledged",
          () => p.sender!.request("stats", null),
          (s) => s.sent === TOTAL && s.pending === 0,
          120_000,
        );
        assert.deepEqual(sent.failures, []);
        assert.equal(sent.acked, TOTAL);
        assert.equal(sent.epochs, SEGMENTS + 1, "one hello per producer incarnation");
        assert.equal(p.system.find("producer").restarts, SEGMENTS);
        console.log(`outbox: ${sent.resent} records re-sent to a new producer incarnation`);
      } finally {
        await p.system.stop();
      }
      const c = await startPipeline(kafka.connection, {
        consume: { topics: [{ topic: "crashy" }], start: "beginning" },
        expect: TOTAL,
      });
      try {
        const high = (await admin.listOffsets("crashy")).reduce((n, o) => n + o.high, 0);
        const got = await eventually(
          "all records",
          () => c.receiver!.request("summary", null),
          (s) => s.records >= high,
        );
        assert.equal(got.distinct, TOTAL, "every record arrived");
        assert.equal(got.records, high);
        assert.equal(got.duplicates, high - TOTAL);
        console.log(`${got.duplicates} duplicates in Kafka: records stored whose acknowledgement died with a crash`);
      } finally {
        await c.system.stop();
      }
    });

    await t.step("consumer crashed twice resumes from the confirmed position without gaps", async () => {
      const high = (await admin.listOffsets("crashy")).reduce((n, o) => n + o.high, 0);
      const c = await startPipeline(kafka.connection, {
        consume: { topics: [{ topic: "crashy" }], start: "beginning", maxBytesPerPartition: 64 * 1024 },
        expect: TOTAL,
      });
      try {
        for (const at of [high / 5, high / 2]) {
          await eventually(`${at} records`, () => c.receiver!.request("summary", null), (s) => s.records >= at);
          await crash(c.system, "consumer");
        }
        const got = await eventually(
          "all records after the crashes",
          () => c.receiver!.request("summary", null),
          (s) => s.partitions.reduce((n, x) => n + x.next - x.first, 0) >= high,
        );
        assert.equal(c.system.find("consumer").restarts, 2);
        assert.equal(got.distinct, TOTAL);
        for (const x of got.partitions) {
          assert.equal(x.first, 0, `partition ${x.partition} read from its start`);
          assert.equal(x.gaps, 0, `partition ${x.partition} has no gap`);
        }
        const repeated = got.partitions.reduce((n, x) => n + x.repeated, 0);
        console.log(`consumer crashes: ${repeated} records delivered again (delivered, not yet confirmed)`);
      } finally {
        await c.system.stop();
      }
    });

    await t.step("the downstream crashed twice: the consumer starts afresh and greets each replacement", async () => {
      const high = await admin.listOffsets("crashy");
      const c = await startPipeline(kafka.connection, {
        consume: { topics: [{ topic: "crashy" }], start: "beginning", maxBytesPerPartition: 64 * 1024 },
        expect: TOTAL,
      });
      try {
        for (const at of [TOTAL / 5, TOTAL / 10]) {
          await eventually("progress", () => c.receiver!.request("summary", null), (s) => s.records >= at);
          await crash(c.system, "receiver");
          const after = await eventually(
            "the replacement reading every partition to its end",
            () => c.receiver!.request("summary", null),
            (s) => s.partitions.length === high.length && s.partitions.every((x) => x.next >= high[x.partition].high),
            60_000,
          );
          for (const x of after.partitions) {
            assert.equal(x.first, 0, `partition ${x.partition} read again from the configured start`);
            assert.equal(x.gaps, 0, `partition ${x.partition} has no gap`);
          }
        }
        assert.equal(c.system.find("receiver").restarts, 2);
        assert.equal(c.system.find("consumer").restarts, 2, "one fresh start per new downstream");
      } finally {
        await c.system.stop();
      }
    });

    await t.step("a restarted sender is greeted by the running producer and produces again", async () => {
      const p = await startPipeline(kafka.connection, { produce: {} });
      try {
        await crash(p.system, "sender");
        await eventually(
          "the sender back",
          () => Promise.resolve(p.system.find("sender").state),
          (s) => s === "running",
        );
        p.sender!.send({ type: "produceRun", topic: "crashy", count: 100, recordBytes: 10 });
        const stats = await eventually("acks", () => p.sender!.request("stats", null), (s) => s.acked === 100);
        assert.equal(stats.epochs, 1);
        assert.equal(p.system.find("producer").restarts, 0);
      } finally {
        await p.system.stop();
      }
    });
  } finally {
    await admin.close();
    await kafka.stop();
  }
});

Deno.test("an unreachable broker is reported with its cause and retried, without a crash loop", async () => {
  const [port] = freePorts(1);
  const p = await startPipeline({ brokers: [`127.0.0.1:${port}`], connectionTimeoutMs: 500 }, { produce: {} });
  const notices: BrokerStatus[] = [];
  p.producer!.onEmit((n) => notices.push(n));
  try {
    await eventually("three failed attempts", () => Promise.resolve(notices.length), (n) => n >= 3, 30_000);
    assert.deepEqual(notices.slice(0, 3).map((n) => [n.connected, n.attempts]), [[false, 1], [false, 2], [false, 3]]);
    assert.match(notices[0].error!, new RegExp(`Cannot connect to Kafka at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    assert.equal(p.system.find("producer").restarts, 0, "no crash loop");
    assert.equal((await p.producer!.request("stats", null)).connected, false);
  } finally {
    await p.system.stop();
  }
});
