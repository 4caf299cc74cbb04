/**
 * The README's histogrammer example, as processes against a real Kafka: `nxflow start` with the histogrammer role
 * while ev44 events arrive on a topic, a just-bin-it command sent with `nxflow histogrammer --send`, and the
 * histograms read with `nxflow inspect`.
 * Also `nxflow histogrammer --help`, and an ERR answer (exit 1) for a bad command.
 */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { produceRecords } from "../../actors/broker/client.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import { startKafka } from "../_harness/kafka.ts";
import { reap, runNxflow, spawnNxflow } from "../_harness/process.ts";
import { eventually } from "../_harness/wait.ts";

Deno.test("nxflow histogrammer --help lists its options and the client mode", async () => {
  const r = await runNxflow(["histogrammer", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  for (const flag of ["--config-topic", "--response-topic", "--hb-topic", "--publish-interval-ms", "--send"]) {
    assert.ok(r.stdout.includes(flag), `${flag} missing from the help`);
  }
  const all = await runNxflow(["--help"]);
  assert.match(all.stdout, /histogrammer/);
});

Deno.test("README: a just-bin-it command to nxflow start, the histograms read with nxflow inspect", async () => {
  const kafka = await startKafka();
  const dir = await Deno.makeTempDir();
  const n = `${Date.now() % 100000}`;
  const topics = {
    events: `c${n}_events`,
    commands: `c${n}_commands`,
    responses: `c${n}_responses`,
    out: `c${n}_hist`,
  };
  await Deno.writeTextFile(
    `${dir}/nxflow.json`,
    JSON.stringify({
      roles: {
        histogrammer: { configTopic: topics.commands, responseTopic: topics.responses, publishIntervalMs: 500 },
      },
    }),
  );
  const admin = await BrokerAdmin.connect(kafka.connection);
  await admin.createTopics([{ topic: topics.events }]);
  await admin.close();
  // an event source: 1,000 events every 500 ms, times of flight spread over the pulse
  let pulse = 0;
  const source = setInterval(() => {
    const tof = Int32Array.from({ length: 1000 }, (_, i) => (i * 71_399) % 71_428_572);
    const value = ev44.encode({
      source_name: "det",
      message_id: BigInt(++pulse),
      reference_time: [BigInt(Date.now()) * 1_000_000n],
      reference_time_index: [0],
      time_of_flight: tof,
      pixel_id: Int32Array.from(tof, (_, i) => i % 100),
    });
    void produceRecords(kafka.connection, [{ topic: topics.events, value }]).catch(() => {});
  }, 500);
  const p = spawnNxflow(["start", "--config", `${dir}/nxflow.json`, "--brokers", kafka.bootstrap, "--no-admin"]);
  try {
    await p.line(/commands from/, 120_000);
    const command = {
      cmd: "config",
      input_schema: "ev44",
      output_schema: "hs01",
      histograms: [{
        type: "hist1d",
        data_brokers: [kafka.bootstrap],
        data_topics: [topics.events],
        tof_range: [0, 71_428_572],
        num_bins: 50,
        topic: topics.out,
        id: "demo-tof",
      }],
    };
    const client = ["histogrammer", "--brokers", kafka.bootstrap, "--config-topic", topics.commands];
    const send = (body: unknown) =>
      runNxflow([...client, "--response-topic", topics.responses, "--send", JSON.stringify(body)]);
    // the histogrammer reads its config topic from the end: the first commands may come before it listens
    const sent = await eventually("an ACK", () => send(command), (r) => r.code === 0, 90_000);
    assert.match(sent.stdout, /^ACK$/m, sent.stdout + sent.stderr);
    const last = await eventually(
      "counts in nxflow inspect",
      async () => {
        const r = await runNxflow(["inspect", "--brokers", kafka.bootstrap, "--topic", topics.out, "--offset=-1"]);
        return r.stdout.trim() ? JSON.parse(r.stdout.trim().split("\n").at(-1)!) : null;
      },
      (m) => m?.schema === "hs01" && JSON.parse(m.message.info).sum > 0,
      60_000,
    );
    const info = JSON.parse(last.message.info);
    assert.equal(info.id, "demo-tof");
    assert.equal(info.state, "COUNTING");
    assert.equal(last.message.source, "just-bin-it");
    assert.deepEqual(last.message.current_shape, [50]);

    // answered once the histogrammer is through with the config above (a busy machine may take longer than --send
    // waits)
    const bad = await eventually(
      "an ERR",
      () => send({ cmd: "config", msg_id: "bad-1", histograms: [{ type: "hist9d" }] }),
      (r) => r.code !== 3,
      90_000,
    );
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /ERR: .*hist9d/);
  } finally {
    clearInterval(source);
    await reap(p);
    await Deno.remove(dir, { recursive: true });
    await kafka.stop();
  }
});
