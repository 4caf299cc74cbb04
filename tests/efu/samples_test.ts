import assert from "node:assert/strict";
import { ar51, type RawReadoutMessage } from "../../schemas/ar51/codec.ts";
import { checkEfuConfig } from "../../actors/efu/role.ts";
import { startKafka } from "../_harness/kafka.ts";
import { readTopic, startEfu } from "./efu_harness.ts";
import { eventually } from "../_harness/wait.ts";

Deno.test("efu: monitorConsecutive of every monitorEvery raw datagrams go to <topic>_samples as ar51, as received", async () => {
  const kafka = await startKafka();
  const efu = await startEfu(kafka.connection, { instrument: "bifrost", family: "caen" }, {
    monitorEvery: 10,
    monitorConsecutive: 2,
  });
  try {
    assert.equal(efu.config.samplesTopic, "bifrost_detector_samples");
    // distinct datagrams (not valid readout: samples are raw, taken before any check)
    const datagrams = Array.from({ length: 30 }, (_, i) => new Uint8Array(100 + i).fill(i + 1));
    const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    try {
      for (const d of datagrams) {
        await conn.send(d, { transport: "udp", hostname: "127.0.0.1", port: efu.config.port });
        await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      conn.close();
    }
    await eventually("30 datagrams received", () => efu.counter("receive.packets"), (n) => n === 30);
    await eventually("6 samples produced", () => efu.counter("produce.cause.monitor_packets"), (n) => n === 6);
    const records = await readTopic<RawReadoutMessage>(
      kafka.connection,
      efu.config.samplesTopic,
      (r) => r.length >= 6,
      30_000,
      (bytes) => ar51.decode(bytes),
    );
    assert.deepEqual(records.map((r) => r.message.message_id), [1n, 2n, 3n, 4n, 5n, 6n]);
    assert.ok(records.every((r) => r.message.source_name === "bifrost"));
    const picked = [0, 1, 10, 11, 20, 21];
    assert.deepEqual(records.map((r) => [...r.message.raw_data!]), picked.map((i) => [...datagrams[i]]));
  } finally {
    await efu.stop();
    await kafka.stop();
  }
});

Deno.test("efu: sampling settings are checked; 0 turns the samples topic off", () => {
  const file = Deno.makeTempFileSync({ suffix: ".json" });
  try {
    Deno.writeTextFileSync(file, JSON.stringify({ instrument: "loki", family: "caen" }));
    assert.equal(checkEfuConfig({ detector: file }, "t").samplesTopic, "loki_detector_samples");
    assert.equal(checkEfuConfig({ detector: file, monitorEvery: 0 }, "t").samplesTopic, "");
    assert.equal(checkEfuConfig({ detector: file, samplesTopic: "raw" }, "t").samplesTopic, "raw");
    assert.throws(() => checkEfuConfig({ detector: file, monitorEvery: -1 }, "t"), /monitorEvery: must be/);
    assert.throws(
      () => checkEfuConfig({ detector: file, monitorEvery: 5, monitorConsecutive: 6 }, "t"),
      /monitorConsecutive: must be 1\.\.monitorEvery \(5\), got 6/,
    );
  } finally {
    Deno.removeSync(file);
  }
});
