/** The local Kafka scripts and a plain round trip through it with the project's Kafka client. */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { produceRecords, readTopics } from "../../actors/broker/client.ts";
import { installKafka } from "../../actors/common/local_kafka/install.ts";
import { processAlive } from "../../actors/common/local_kafka/jvm.ts";
import { LocalCluster } from "../../actors/common/local_kafka/cluster.ts";
import { startKafka } from "../_harness/kafka.ts";

Deno.test("install is idempotent: a second call finds the cached jars", async () => {
  const first = await installKafka();
  const second = await installKafka();
  assert.equal(second.home, first.home);
  const jars = [...Deno.readDirSync(first.libs)].map((e) => e.name);
  assert.ok(jars.includes(`kafka_2.13-${first.version}.jar`), "broker jar");
  assert.ok(jars.some((j) => j.startsWith("kafka-tools-")), "tools jar (perf tests)");
  assert.ok(jars.some((j) => j.startsWith("log4j-slf4j-impl-")), "logging binding");
});

Deno.test("a single broker starts on loopback, round-trips keyed records with timestamps, and stops", async () => {
  const kafka = await startKafka();
  try {
    assert.match(kafka.bootstrap, /^127\.0\.0\.1:\d+$/);
    const admin = await BrokerAdmin.connect(kafka.connection);
    try {
      assert.deepEqual(await admin.createTopics([{ topic: "rt", partitions: 2 }]), ["rt"]);
      assert.deepEqual(await admin.createTopics([{ topic: "rt", partitions: 2 }]), [], "second create is a no-op");
      assert.equal(await admin.topicExists("rt"), true);
      assert.equal(await admin.topicExists("nope"), false);
      const encoder = new TextEncoder();
      const messages = Array.from({ length: 20 }, (_, i) => ({
        topic: "rt",
        key: `k${i % 4}`,
        value: encoder.encode(`v${i}`),
        timestampMs: 1_700_000_000_000 + i,
      }));
      await produceRecords(kafka.connection, messages);
      const offsets = await admin.listOffsets("rt");
      assert.equal(offsets.reduce((n, o) => n + o.high - o.low, 0), 20);
      const got: { key: string; value: string; timestampMs: number; partition: number }[] = [];
      const decoder = new TextDecoder();
      let done = () => {};
      const all = new Promise<void>((resolve) => done = resolve);
      const reader = await readTopics(kafka.connection, ["rt"], "beginning", (r) => {
        got.push({
          key: decoder.decode(r.key!),
          value: decoder.decode(r.value),
          timestampMs: r.timestampMs,
          partition: r.partition,
        });
        if (got.length === 20) done();
      });
      await all;
      await reader.stop();
      assert.deepEqual(got.map((m) => m.value).sort(), messages.map((m) => decoder.decode(m.value)).sort());
      for (const m of got) {
        assert.equal(m.timestampMs, 1_700_000_000_000 + Number(m.value.slice(1)), "caller-set timestamp kept");
        const sameKey = got.filter((o) => o.key === m.key);
        assert.ok(sameKey.every((o) => o.partition === m.partition), `key ${m.key} stays in one partition`);
      }
    } finally {
      await admin.close();
    }
  } finally {
    await kafka.stop();
  }
});

Deno.test("a cluster started detached is found again by its folder, reports its status and stops", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nxflow-kafka-cli-" });
  try {
    const started = await LocalCluster.start({ dir, tied: false });
    const found = await LocalCluster.open(dir);
    assert.ok(found);
    assert.equal(found.bootstrap, started.bootstrap);
    assert.deepEqual(found.status().map((n) => n.alive), [true]);
    await found.stop({ graceful: true });
    assert.equal(processAlive(started.state.nodes[0].pid, started.state.nodes[0].marker), false);
    assert.equal(await LocalCluster.open(dir), null, "state file removed on stop");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
