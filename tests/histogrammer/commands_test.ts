/**
 * The histogrammer's command protocol against a real Kafka: bad commands get an ERR (and are counted) and never crash
 * the command actor; start/stop select the window by Kafka timestamp (ev42 input, historic data) and finish the
 * histograms by themselves; `interval` sets start and stop from the wall clock; x5f2 heartbeats.
 */
import assert from "node:assert/strict";
import type { ControlProtocol } from "../../protocols/histogrammer.ts";
import { hs01 } from "../../schemas/hs01/codec.ts";
import { x5f2 } from "../../schemas/x5f2/codec.ts";
import { startKafka } from "../_harness/kafka.ts";
import { eventually } from "../_harness/wait.ts";
import { checkWithNumpy, ev42Message, randomEvents, type Rig, startRig } from "./rig.ts";

/** hs01 outputs of one id on the rig's first output topic, in order, with their info. */
async function outputsOf(rig: Rig, id: string) {
  const out = [];
  for (const s of await rig.seen(rig.topics.out)) {
    const info = JSON.parse(hs01.decode(s.value).info ?? "{}");
    if (info.id === id) out.push({ value: s.value, info });
  }
  return out;
}

Deno.test("histogrammer: bad commands, start/stop, interval and heartbeats on a real Kafka", async (t) => {
  const kafka = await startKafka();
  const rig = await startRig(kafka.connection);
  const control = rig.system.ref<ControlProtocol>("root/histogrammer/control");
  const hist = (id: string) => ({
    type: "hist1d",
    data_brokers: rig.connection.brokers,
    data_topics: [rig.topics.events],
    tof_range: [0, 1000],
    num_bins: 10,
    topic: rig.topics.out,
    id,
  });
  try {
    await t.step("bad commands get an ERR with the reason and a count, and never crash", async () => {
      const before = (await control.request("stats", null)).rejected;
      const bad: [string, unknown, RegExp][] = [
        ["b1", '{"cmd": "config", "msg_id": "b1", ', /not JSON/],
        ["b2", { cmd: "restart", msg_id: "b2" }, /Unknown command type 'restart'/],
        ["b3", { cmd: "config", msg_id: "b3", histograms: [{ ...hist("x"), type: "hist3d" }] }, /hist3d/],
        ["b4", { cmd: "config", msg_id: "b4", histograms: [{ ...hist("x"), tof_range: [10, 0] }] }, /tof_range/],
        ["b5", { cmd: "config", msg_id: "b5", interval: 5, start: 1, histograms: [] }, /interval.*start/],
        ["b6", { cmd: "config", msg_id: "b6", input_schema: "ev43", histograms: [] }, /input schema/],
        ["b7", { cmd: "config", msg_id: "b7", histograms: [{ ...hist("x"), num_bins: 0 }] }, /num_bins/],
        ["b8", { cmd: "config", msg_id: "b8", histograms: [{ ...hist("x"), topic: "bad topic!" }] }, /topic/],
        ["b9", { cmd: "config", msg_id: "b9", histograms: [{ ...hist("x"), tof_range: undefined }] }, /tof_range/],
      ];
      for (const [, body] of bad) await rig.command(body);
      await rig.command("[1, 2, 3]"); // no msg_id: no answer, still counted
      for (const [msgId, , reason] of bad) {
        const r = await rig.response(msgId);
        assert.equal(r.response, "ERR", msgId);
        assert.match(r.message!, reason, msgId);
      }
      await eventually("the count", () => control.request("stats", null), (s) => s.rejected >= before + 10);
      assert.ok(!rig.logs.some((l) => l.includes("exited root/histogrammer/control")), "the command actor crashed");
      assert.equal(rig.manager.running.length, 0, "a refused config starts nothing");
    });

    await t.step(
      "start and stop: only the window counts (ev42, historic data), and it finishes by itself",
      async () => {
        const T = Date.now();
        const batches: [number[], number[], number][] = [];
        const records = [];
        for (let m = 0; m < 10; m++) {
          const [tof, det] = randomEvents(100 + m, 2000, 1000, 100);
          const ts = T - 50_000 + m * 2_000; // T-50 s … T-32 s
          batches.push([Array.from(tof), Array.from(det), ts]);
          records.push({ value: ev42Message("det", BigInt(ts) * 1_000_000n, tof, det), timestampMs: ts, partition: 0 });
        }
        records.push({
          value: ev42Message("det", 0n, new Int32Array(1), new Int32Array(1)),
          timestampMs: T,
          partition: 0,
        });
        await rig.produce(records);
        const [start, stop] = [T - 44_000, T - 38_000]; // messages 3, 4, 5 and 6
        await rig.command({
          cmd: "config",
          msg_id: "window",
          start,
          stop,
          input_schema: "ev42",
          output_schema: "hs01",
          histograms: [hist("window")],
        });
        assert.equal((await rig.response("window")).response, "ACK");
        const outs = await eventually(
          "FINISHED",
          () => outputsOf(rig, "window"),
          (o) => o.at(-1)?.info.state === "FINISHED",
        );
        const last = outs.at(-1)!;
        assert.equal(last.info.start, start);
        assert.equal(last.info.stop, stop);
        const inside = batches.filter(([, , ts]) => ts >= start && ts <= stop);
        assert.equal(inside.length, 4);
        const [r] = await checkWithNumpy([{
          schema: "hs01",
          value: last.value,
          spec: hist("window"),
          tof: inside.flatMap(([tof]) => tof),
          det: inside.flatMap(([, det]) => det),
        }]);
        const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
        assert.equal(
          total(r.decoded.data),
          total(r.expected.data),
          `events counted; the last info: ${JSON.stringify(last.info)}`,
        );
        assert.deepEqual(r.decoded.data, r.expected.data);
        assert.equal(r.decoded.dtype, "int64");
        const exact = JSON.parse(
          hs01.decode(last.value).info!.replace(/"last_pulse_time":(\d+)/, '"last_pulse_time":"$1"'),
        );
        assert.equal(
          exact.last_pulse_time,
          `${BigInt(inside.at(-1)![2]) * 1_000_000n}`,
          "exact pulse time in the info",
        );
        await eventually("the run removed", () => rig.manager.running, (runs) => runs.length === 0);
      },
    );

    await t.step("interval: start is now and stop is start + interval; finished after stop + 5 s", async () => {
      const before = Date.now();
      await rig.command({ cmd: "config", msg_id: "iv", interval: 1, input_schema: "ev44", histograms: [hist("iv")] });
      assert.equal((await rig.response("iv")).response, "ACK");
      const outs = await eventually(
        "FINISHED",
        () => outputsOf(rig, "iv"),
        (o) => o.at(-1)?.info.state === "FINISHED",
        30_000,
      );
      const { info } = outs[0];
      assert.equal(info.state, "INITIALISED");
      assert.ok(info.start >= before && info.start <= Date.now(), `start ${info.start}`);
      assert.equal(info.stop - info.start, 1000);
      assert.ok(outs.length >= 2, "published while running and once more when finished");
    });

    await t.step(
      "an input topic that does not exist: ACK, then the histogram in state ERROR with the reason",
      async () => {
        const missing = { ...hist("missing"), data_topics: ["no_such_topic_here"] };
        await rig.command({ cmd: "config", msg_id: "m", input_schema: "ev44", histograms: [missing] });
        assert.equal((await rig.response("m")).response, "ACK");
        const outs = await eventually("ERROR", () => outputsOf(rig, "missing"), (o) => o.length > 0);
        assert.equal(outs[0].info.state, "ERROR");
        assert.match(outs[0].info.error_message, /no_such_topic_here/);
        await eventually("the run removed", () => rig.manager.running, (runs) => runs.length === 0);
      },
    );

    await t.step("x5f2 heartbeats: just-bin-it's service id and an empty status", async () => {
      const beats = await eventually("heartbeats", () => rig.seen(rig.topics.heartbeat), (b) => b.length >= 3);
      const m = x5f2.decode(beats[0].value);
      assert.equal(m.service_id, "just-bin-it");
      assert.equal(m.status_json, "{}");
      assert.equal(m.update_interval, 1000);
      assert.equal(m.process_id, Deno.pid);
    });
  } finally {
    await rig.stop();
    await kafka.stop();
  }
});
