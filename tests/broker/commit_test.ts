/**
 * Offset commits in assign mode, against a real broker: confirmed positions are committed to the consumer's group,
 * and a later consumer with `start: "committed"` reads on from there (what a restarted process does).
 */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { startKafka } from "../_harness/kafka.ts";
import { startPipeline } from "./pipeline.ts";
import { eventually } from "../_harness/wait.ts";

Deno.test("assign mode commits confirmed positions, and start: committed resumes after them", async () => {
  const kafka = await startKafka();
  const admin = await BrokerAdmin.connect(kafka.connection);
  const consume = { topics: [{ topic: "committed" }], groupId: "nxflow.commit-test", commitIntervalMs: 200 };
  try {
    await admin.createTopics([{ topic: "committed", partitions: 2 }]);
    const p = await startPipeline(kafka.connection, { produce: {} });
    const produce = async (count: number) => {
      const before = (await p.sender!.request("stats", null)).acked;
      p.sender!.send({ type: "produceRun", topic: "committed", count, recordBytes: 16 });
      await eventually("acks", () => p.sender!.request("stats", null), (s) => s.acked === before + count);
    };
    try {
      await produce(500);
      const first = await startPipeline(kafka.connection, { consume: { ...consume, start: "beginning" }, expect: 600 });
      try {
        await eventually("500 records", () => first.receiver!.request("summary", null), (s) => s.records === 500);
        const stats = await eventually("a commit", () => first.consumer!.request("stats", null), (s) => s.commits > 0);
        assert.equal(stats.commitFailures, 0);
        const high = await admin.listOffsets("committed");
        await eventually(
          "the committed offsets at the high watermarks",
          () => admin.committedOffsets("nxflow.commit-test", "committed"),
          (c) => high.every((h) => c.find((o) => o.partition === h.partition)?.offset === h.high),
        );
      } finally {
        await first.system.stop();
      }
      await produce(100);
      const next = await startPipeline(kafka.connection, { consume: { ...consume, start: "committed" }, expect: 600 });
      try {
        const got = await eventually(
          "the 100 new records",
          () => next.receiver!.request("summary", null),
          (s) => s.records >= 100,
        );
        await new Promise((r) => setTimeout(r, 500));
        const final = await next.receiver!.request("summary", null);
        assert.equal(final.records, 100, "only the records produced after the commit");
        assert.equal(got.duplicates, 0);
      } finally {
        await next.system.stop();
      }
    } finally {
      await p.system.stop();
    }
  } finally {
    await admin.close();
    await kafka.stop();
  }
});
