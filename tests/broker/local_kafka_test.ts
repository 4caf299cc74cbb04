/** The local Kafka scripts and a plain round trip through it with the project's Kafka client. */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { createKafka } from "../../actors/broker/connection.ts";
import { installKafka } from "../../scripts/kafka/install.ts";
import { processAlive } from "../../scripts/kafka/jvm.ts";
import { LocalCluster } from "../../scripts/kafka/cluster.ts";
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
    const client = createKafka(kafka.connection);
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = client.consumer({ groupId: "round-trip" });
    try {
      assert.deepEqual(await admin.createTopics([{ topic: "rt", partitions: 2 }]), ["rt"]);
      assert.deepEqual(await admin.createTopics([{ topic: "rt", partitions: 2 }]), [], "second create is a no-op");
      assert.equal(await admin.topicExists("rt"), true);
      assert.equal(await admin.topicExists("nope"), false);
      await producer.connect();
      const messages = Array.from({ length: 20 }, (_, i) => ({
        key: `k${i % 4}`,
        value: `v${i}`,
        timestamp: String(1_700_000_000_000 + i),
      }));
      await producer.send({ topic: "rt", acks: -1, messages });
      const offsets = await admin.listOffsets("rt");
      assert.equal(offsets.reduce((n, o) => n + o.high - o.low, 0), 20);
      await consumer.connect();
      await consumer.subscribe({ topic: "rt", fromBeginning: true });
      const got: { key: string; value: string; timestamp: string; partition: number }[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: ({ message, partition }) => {
            got.push({ key: `${message.key}`, value: `${message.value}`, timestamp: message.timestamp, partition });
            if (got.length === 20) resolve();
            return Promise.resolve();
          },
        });
      });
      assert.deepEqual(got.map((m) => m.value).sort(), messages.map((m) => m.value).sort());
      for (const m of got) {
        assert.equal(m.timestamp, String(1_700_000_000_000 + Number(m.value.slice(1))), "caller-set timestamp kept");
        const sameKey = got.filter((o) => o.key === m.key);
        assert.ok(sameKey.every((o) => o.partition === m.partition), `key ${m.key} stays in one partition`);
      }
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
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
