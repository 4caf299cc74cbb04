import assert from "node:assert/strict";
import { generate, type GeneratorOptions } from "../../actors/efu/generator.ts";
import { startKafka } from "../_harness/kafka.ts";
import { readTopic, startEfu, type TestEfu } from "./efu_harness.ts";
import { eventually } from "../_harness/wait.ts";

const BIFROST = { instrument: "bifrost", family: "caen" };

function options(efu: TestEfu, o: Partial<GeneratorOptions> = {}): GeneratorOptions {
  return {
    detector: efu.config.detectorConfig,
    host: "127.0.0.1",
    port: efu.config.port,
    packets: 400,
    rate: 400,
    seed: 3,
    version: 1,
    pulseHz: 14,
    packetBytes: 1500,
    packetsPerPulse: 50,
    startNs: 1_750_000_000_000_000_000n,
    faults: [],
    ...o,
  };
}

Deno.test("efu: generator → efu → Kafka delivers every valid event once with its pixel, TOF and reference time", async () => {
  const kafka = await startKafka();
  const efu = await startEfu(kafka.connection, BIFROST, { maxEvents: 50, flushMs: 500 });
  try {
    const expected = new Map<string, number>();
    const summary = await generate(
      options(efu, {
        faults: [
          { fault: "cookie", every: 37 },
          { fault: "truncated", every: 41 },
          { fault: "seqgap", every: 43 },
          { fault: "timesource", every: 47 },
          { fault: "length", every: 53 },
        ],
      }),
      (pulseNs, pixel, tof) => {
        const key = `${pulseNs} ${pixel} ${tof}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      },
    );
    assert.ok(summary.expectedEvents > 20_000);
    await eventually("every datagram received", () => efu.counter("receive.packets"), (n) => n >= summary.packets);
    await eventually("all events produced", () => efu.counter("produce.events"), (n) => n >= summary.expectedEvents)
      .catch(async (e) => {
        throw new Error(
          `${e.message}; counters: ${JSON.stringify((await efu.control.counters()).filter((c) => c[1]))}`,
        );
      });
    const faults = summary.faults;
    assert.equal(await efu.counter("parser.essheader.errors.cookie"), faults.cookie.packets);
    assert.equal(await efu.counter("parser.essheader.errors.timing"), faults.timesource.packets);
    assert.equal(await efu.counter("parser.essheader.errors.size"), faults.truncated.packets + faults.length.packets);
    assert.equal(await efu.counter("parser.essheader.errors.seqno"), faults.seqgap.packets);
    assert.ok(await efu.counter("produce.cause.pulse_change") > 0, "pulse change trigger");
    assert.ok(await efu.counter("produce.cause.max_events") > 0, "event count trigger");
    assert.ok(await efu.counter("produce.cause.timeout") > 0, "timer trigger");
    const records = await readTopic(
      kafka.connection,
      efu.config.topic,
      (r) => r.reduce((n, x) => n + (x.message.pixel_id?.length ?? 0), 0) >= summary.expectedEvents,
    );
    const ids = new Map<string, bigint>();
    let events = 0;
    for (const { message: m, timestampMs } of records) {
      assert.ok(Math.abs(timestampMs - Date.now()) < 600_000, "Kafka timestamp is the wall clock");
      assert.deepEqual([...m.reference_time_index], [0]);
      assert.equal(m.reference_time.length, 1);
      const last = ids.get(m.source_name) ?? 0n;
      assert.ok(m.message_id > last, `message ids increase for ${m.source_name}`);
      ids.set(m.source_name, m.message_id);
      for (let i = 0; i < m.pixel_id!.length; i++) {
        const key = `${m.reference_time[0]} ${m.pixel_id![i]} ${m.time_of_flight![i]}`;
        const left = expected.get(key);
        assert.ok(left, `unexpected or duplicated event ${key} in ${m.source_name}`);
        expected.set(key, left - 1);
        events++;
      }
    }
    assert.equal(events, summary.expectedEvents);
    assert.ok(ids.size > 10, "one ev44 source per BIFROST triplet");
  } finally {
    await efu.stop();
    await kafka.stop();
  }
});
