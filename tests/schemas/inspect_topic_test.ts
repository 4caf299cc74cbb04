/**
 * `nxflow inspect --brokers --topic`, run as the real CLI in a subprocess against a real Kafka broker: records of
 * several schemas, a broken and an unknown message, text and binary keys, in two partitions.
 */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import type { ProduceRecord } from "../../protocols/broker.ts";
import { ev44, f144, parseJsonForm, toJsonAny } from "../../schemas/mod.ts";
import { startPipeline } from "../broker/pipeline.ts";
import { eventually } from "../_harness/wait.ts";
import { startKafka } from "../_harness/kafka.ts";
import { REPO_ROOT } from "../_harness/vectors.ts";

const TOPIC = "inspected";
const T0 = 1_700_000_000_000;

const EVENTS = ev44.encode({
  source_name: "det1",
  message_id: 7n,
  reference_time: [1700000000000000001n],
  reference_time_index: [0],
  time_of_flight: new Int32Array([10, 20, 30]),
  pixel_id: new Int32Array([1, 2, 3]),
});
const VALUE = f144.encode({
  source_name: "PV:T",
  timestamp: 2n ** 63n - 1n,
  value_type: "Double",
  value: { value: 2.5 },
});
const UNKNOWN = new Uint8Array([8, 0, 0, 0, ...new TextEncoder().encode("zz99"), 0, 0, 0, 0]);

/** What is produced, in offset order per partition: partition 0 holds the broken messages. */
const RECORDS: ProduceRecord[] = [
  { topic: TOPIC, partition: 0, key: "det1", value: EVENTS, timestampMs: T0 },
  { topic: TOPIC, partition: 0, value: VALUE, timestampMs: T0 + 1000 },
  { topic: TOPIC, partition: 0, key: "det1", value: EVENTS.slice(0, 40), timestampMs: T0 + 2000 },
  { topic: TOPIC, partition: 0, value: UNKNOWN, timestampMs: T0 + 3000 },
  { topic: TOPIC, partition: 1, key: new Uint8Array([0xff, 0x00]), value: VALUE, timestampMs: T0 + 4000 },
  { topic: TOPIC, partition: 1, key: "pv", value: EVENTS, timestampMs: T0 + 5000 },
];

type Line = Record<string, unknown>;

async function nxflow(args: string[]): Promise<{ code: number; lines: Line[]; text: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("mod.ts", REPO_ROOT).pathname, "inspect", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const lines = args.includes("table") ? [] : text.split("\n").filter(Boolean).map((l) => parseJsonForm(l) as Line);
  return { code: out.code, lines, text, stderr };
}

/** Partition and offset of each line, as "p@o". */
const where = (lines: Line[]) => lines.map((l) => `${l.partition}@${l.offset}`);

async function produce(connection: Parameters<typeof startPipeline>[0], records: ProduceRecord[]): Promise<void> {
  const p = await startPipeline(connection, { produce: {} });
  try {
    for (const record of records) {
      p.sender!.send({ type: "produceOne", record: { ...record, value: record.value.slice() } });
    }
    const stats = await eventually("acks", () => p.sender!.request("stats", null), (s) => s.acked >= records.length);
    assert.deepEqual(stats.failures, []);
  } finally {
    await p.system.stop();
  }
} // deno-fmt-ignore

Deno.test("nxflow inspect reads a Kafka topic: JSON lines with Kafka fields, broken records reported, options", async (t) => {
  const kafka = await startKafka();
  const brokers = ["--brokers", kafka.bootstrap, "--topic", TOPIC];
  try {
    const admin = await BrokerAdmin.connect(kafka.connection);
    // Old timestamps on purpose (a replay); without retention.ms=-1 Kafka would delete them at once.
    await admin.createTopics([{ topic: TOPIC, partitions: 2, configs: { "retention.ms": "-1" } }]);
    await admin.close();
    await produce(kafka.connection, RECORDS);

    await t.step("every record of every partition, then the tool stops by itself", async () => {
      const { code, lines } = await nxflow(brokers);
      assert.deepEqual(where(lines).sort(), ["0@0", "0@1", "0@2", "0@3", "1@0", "1@1"]);
      for (const line of lines) {
        const record = RECORDS.filter((r) => r.partition === line.partition)[Number(line.offset)];
        assert.equal(line.topic, TOPIC);
        assert.equal(line.timestamp, record.timestampMs);
        assert.equal(line.size, record.value.length);
        if (typeof record.key === "string") assert.equal(line.key, record.key);
        else if (record.key) assert.equal(line.key_hex, "ff00");
        else assert.equal(line.key, null);
      }
      const at = (p: number, o: number) => lines.find((l) => l.partition === p && l.offset === o)!;
      assert.deepEqual(at(0, 0).message, parseJsonForm(toJsonAny(EVENTS)));
      assert.deepEqual(at(0, 1).message, parseJsonForm(toJsonAny(VALUE)));
      assert.equal((at(0, 1).message as Line).timestamp, 2n ** 63n - 1n, "64-bit integers exact");
      assert.equal(at(0, 2).schema, "ev44");
      assert.match(String(at(0, 2).error), /outside the 40-byte buffer/);
      assert.equal(at(0, 3).schema, "zz99");
      assert.match(String(at(0, 3).error), /unknown file identifier "zz99"/);
      assert.deepEqual(at(1, 1).message, parseJsonForm(toJsonAny(EVENTS)));
      assert.equal(code, 1, "exit code 1: some records were broken");
    });

    await t.step("--partition, --offset and --count pick records; a clean selection exits 0", async () => {
      const picked = await nxflow([...brokers, "--partition", "0", "--offset", "1", "--count", "1"]);
      assert.deepEqual(where(picked.lines), ["0@1"]);
      assert.equal(picked.code, 0);
      const last = await nxflow([...brokers, "--offset=-1"]);
      assert.deepEqual(where(last.lines).sort(), ["0@3", "1@1"]);
      const atEnd = await nxflow([...brokers, "--offset", "end"]);
      assert.deepEqual(atEnd.lines, []);
      assert.equal(atEnd.code, 0);
    });

    await t.step("--start-time starts at the first record at or after the time", async () => {
      const { lines } = await nxflow([...brokers, "--start-time", new Date(T0 + 2500).toISOString()]);
      assert.deepEqual(where(lines).sort(), ["0@3", "1@0", "1@1"]);
      const byMs = await nxflow([...brokers, "--partition", "1", "--start-time", String(T0 + 5000)]);
      assert.deepEqual(where(byMs.lines), ["1@1"]);
    });

    await t.step("--format table prints a header and one row per record, broken ones marked", async () => {
      const { text } = await nxflow([...brokers, "--partition", "0", "--format", "table"]);
      const rows = text.trim().split("\n");
      assert.match(rows[0], /^partition@offset timestamp +size +id +message$/);
      assert.equal(rows.length, 5);
      assert.match(rows[1], new RegExp(`^0@0 2023-11-14T22:13:20.000Z +${EVENTS.length} +ev44 +\\{"source_name":"det1"`));
      assert.match(rows[3], /^0@2 .* ev44 +ERROR ev44: /);
    });

    await t.step("--follow prints records produced after it started, until --count", async () => {
      const follower = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("mod.ts", REPO_ROOT).pathname, "inspect", ...brokers, "--partition", "1"]
          .concat(["--offset", "2", "--follow", "--count", "2"]),
        stdout: "piped",
        stderr: "piped",
      }).output();
      await produce(kafka.connection, [
        { topic: TOPIC, partition: 1, value: VALUE, timestampMs: T0 + 6000 },
        { topic: TOPIC, partition: 1, value: EVENTS, timestampMs: T0 + 7000 },
      ]);
      const out = await follower;
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => parseJsonForm(l) as Line);
      assert.deepEqual(where(lines), ["1@2", "1@3"]);
      assert.equal(lines[1].timestamp, T0 + 7000);
      assert.equal(out.code, 0);
    });

    await t.step("--follow without --count runs until SIGINT, then exits cleanly with what it printed", async () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("mod.ts", REPO_ROOT).pathname, "inspect", ...brokers, "--partition", "1", "--follow"],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(child.stderr).text();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (text.split("\n").length <= 4) {
        const { value, done } = await reader.read();
        assert.ok(!done, `stdout ended early: ${text}`);
        text += value;
      }
      child.kill("SIGINT");
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
      const { code } = await child.status;
      assert.deepEqual(where(text.trim().split("\n").map((l) => parseJsonForm(l) as Line)), ["1@0", "1@1", "1@2", "1@3"]);
      assert.equal(code, 0, await stderr);
    });

    await t.step("a missing topic or partition, conflicting options and an unreachable broker exit with 2", async () => {
      const missing = await nxflow(["--brokers", kafka.bootstrap, "--topic", "no_such_topic"]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /topic "no_such_topic" does not exist/);
      const partition = await nxflow([...brokers, "--partition", "7"]);
      assert.equal(partition.code, 2);
      assert.match(partition.stderr, /has no partition 7 \(it has 2\)/);
      const both = await nxflow([...brokers, "--offset", "1", "--start-time", "5"]);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /give --offset or --start-time, not both/);
      const unreachable = await nxflow(["--brokers", "127.0.0.1:1", "--topic", TOPIC]);
      assert.equal(unreachable.code, 2);
      assert.match(unreachable.stderr, /Cannot connect to Kafka at 127\.0\.0\.1:1/);
    });
  } finally {
    await kafka.stop();
  }
});
