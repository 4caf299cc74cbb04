/**
 * The sim's detector against real EFUs and a real Kafka: BIFROST (CAEN) readouts to one EFU and beam monitor (CBM)
 * readouts to another. Every pulse the sim reports sending (`GET /stats`) comes out of the EFUs as ev44 with the
 * same pulse time and the same number of events; the monitor's rate follows the beam current; and a put of
 * SIM:TEMP:SP over Channel Access moves the temperature and then the time-of-flight peak seen in the consumed ev44.
 */
import assert from "node:assert/strict";
import { dbrType, encodeDbr } from "../../actors/common/ca/dbr.ts";
import { ECA } from "../../actors/common/ca/messages.ts";
import { peakNs } from "../../actors/sim/neutrons.ts";
import type { DetectorStats } from "../../protocols/sim.ts";
import type { Event44Message } from "../../schemas/ev44/codec.ts";
import { startKafka } from "../_harness/kafka.ts";
import { eventually } from "../_harness/wait.ts";
import { readTopic, startEfu } from "../efu/efu_harness.ts";
import { RawCaClient } from "./raw_client.ts";
import { startSim } from "./sim_harness.ts";

/** Events per pulse time (ns) over the messages. */
function perPulse(messages: Event44Message[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of messages) {
    const key = String(m.reference_time[0]);
    out.set(key, (out.get(key) ?? 0) + (m.pixel_id?.length ?? 0));
  }
  return out;
}

/** Median time of flight of arc-0 events (pixel rows 0..2) within 15..27 ms: the first Bragg peak. */
function firstPeakNs(messages: Event44Message[], afterNs: bigint): number {
  const tofs: number[] = [];
  for (const m of messages) {
    if (m.reference_time[0] < afterNs) continue;
    m.pixel_id!.forEach((p, i) => {
      const t = m.time_of_flight![i];
      if (Math.floor((p - 1) / 900) < 3 && t > 15e6 && t < 27e6) tofs.push(t);
    });
  }
  tofs.sort((a, b) => a - b);
  return tofs[Math.floor(tofs.length / 2)];
}

Deno.test("sim detector: per-pulse counts match the EFUs' ev44, and a CA put moves the TOF peak", async () => {
  const kafka = await startKafka();
  const tag = crypto.randomUUID().slice(0, 8);
  const det = await startEfu(kafka.connection, { instrument: "bifrost", family: "caen" }, { topic: `sim_det_${tag}` });
  const mon = await startEfu(kafka.connection, { instrument: "bifrost", family: "cbm" }, { topic: `sim_mon_${tag}` });
  const sim = await startSim([
    `--detector-port=${det.config.port}`,
    `--monitor-port=${mon.config.port}`,
    "--event-rate=70000",
    "--monitor-rate=1000",
  ], true);
  const ca = await RawCaClient.connect(sim.port);
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const before = await sim.stats<DetectorStats>("sim/detector");
    const pulses = before.recent.slice(1); // the first may have been cut by the start
    assert.ok(pulses.length >= 20, `${pulses.length} pulses`);
    for (const [efu, key] of [[det, "detectorEvents"], [mon, "monitorEvents"]] as const) {
      const want = new Map(pulses.map((p) => [p.pulseNs, p[key]]));
      const total = [...want.values()].reduce((a, b) => a + b, 0);
      const records = await readTopic(kafka.connection, efu.config.topic, (r) => {
        const got = perPulse(r.map((x) => x.message));
        return [...want.keys()].every((k) => got.get(k) === want.get(k));
      });
      const got = perPulse(records.map((x) => x.message));
      for (const [pulse, n] of want) assert.equal(got.get(pulse), n, `${key} of pulse ${pulse} (of ${total})`);
    }
    // 70000 events/s at 14 Hz; beam 2 mA × 1000 events/s/mA
    assert.ok(pulses.every((p) => p.detectorEvents === 5000), JSON.stringify(pulses.map((p) => p.detectorEvents)));
    assert.ok(pulses.every((p) => Math.abs(p.monitorEvents - 2000 / 14) <= 1));

    // the beam current and the sample temperature, put over Channel Access
    const beam = await ca.create("SIM:BEAM:CURRENT");
    const setpoint = await ca.create("SIM:TEMP:SP");
    const temp = await ca.create("SIM:TEMP");
    const double = (x: number) => encodeDbr(dbrType("double", "plain"), "double", [x], 1, {} as never);
    assert.equal(await ca.writeNotify(beam.sid, 6, 1, double(4)), ECA.NORMAL);
    const warm = BigInt(Date.now()) * 1_000_000n;
    await new Promise((r) => setTimeout(r, 2000));
    const doubled = (await sim.stats<DetectorStats>("sim/detector")).recent.filter((p) => BigInt(p.pulseNs) > warm);
    assert.ok(doubled.slice(-10).every((p) => Math.abs(p.monitorEvents - 4000 / 14) <= 1), "monitor ∝ beam");
    const cold = firstPeakNs(
      (await readTopic(kafka.connection, det.config.topic, () => false, 3000)).map((r) => r.message),
      0n,
    );
    assert.ok(Math.abs(cold - peakNs(295)) < 0.1e6, `first peak at ${cold} ns, expected ~${peakNs(295)}`);
    assert.equal(await ca.writeNotify(setpoint.sid, 6, 1, double(395)), ECA.NORMAL);
    await eventually("SIM:TEMP near 395 K", () => ca.read(temp.sid, 6), (d) => (d.values[0] as number) > 393, 30_000);
    const hot = BigInt(Date.now()) * 1_000_000n;
    await new Promise((r) => setTimeout(r, 3000));
    const records = await readTopic(kafka.connection, det.config.topic, () => false, 4000);
    const moved = firstPeakNs(records.map((r) => r.message), hot);
    assert.ok(
      Math.abs(moved - peakNs(394)) < 0.15e6,
      `first peak at ${moved} ns after the put, expected ~${peakNs(394)}`,
    );
    assert.ok(moved - cold > 1.5e6, `the peak moved by ${moved - cold} ns`);
  } finally {
    ca.close();
    await sim.stop();
    await det.stop();
    await mon.stop();
    await kafka.stop();
  }
});
