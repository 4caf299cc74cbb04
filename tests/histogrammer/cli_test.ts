/**
 * The README's histogrammer example, as processes against a real Kafka: `nxflow start` with the demo and histogrammer
 * roles, a just-bin-it command sent with `nxflow histogrammer --send`, and the histograms read with `nxflow inspect`.
 * Also `nxflow histogrammer --help`, and an ERR answer (exit 1) for a bad command.
 */
import assert from "node:assert/strict";
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
        demo: { topic: topics.events, eventsPerPulse: 1000 },
        histogrammer: { configTopic: topics.commands, responseTopic: topics.responses, publishIntervalMs: 500 },
      },
    }),
  );
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

    const bad = await send({ cmd: "config", msg_id: "bad-1", histograms: [{ type: "hist9d" }] });
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /ERR: .*hist9d/);
  } finally {
    await reap(p);
    await Deno.remove(dir, { recursive: true });
    await kafka.stop();
  }
});
