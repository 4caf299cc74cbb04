/**
 * The file writer's command protocol against a real Kafka, as kafka-to-nexus's integration tests check it: idle
 * status, refusals (broken JSON, `..`, an existing file), a missing topic, and a whole job with its control-topic
 * sequence and its file read back by h5py.
 */
import assert from "node:assert/strict";
import { startKafka } from "../_harness/kafka.ts";
import { objectAt, readH5 } from "../_harness/h5py.ts";
import { eventually } from "../_harness/wait.ts";
import { events, loki, ns, value } from "./messages.ts";
import { answersFor, startRig } from "./rig.ts";

Deno.test("file writer command protocol on a real Kafka", async (t) => {
  const kafka = await startKafka();
  const rig = await startRig(kafka.connection, { dataTopics: { events: 1, motion: 1 } });
  const { command, control } = rig.topics;
  const structure = loki({ events: rig.topics.data.events, motion: rig.topics.data.motion });
  try {
    await t.step("an idle writer reports x5f2 status on the command topic", async () => {
      await eventually("idle status", () => rig.seen(command), (all) => all.some((s) => s.id === "x5f2"));
      const status = (await rig.seen(command)).find((s) => s.id === "x5f2")!.message;
      assert.equal(status.service_id, rig.config.serviceId);
      assert.deepEqual(JSON.parse(status.status_json), {
        state: "idle",
        job_id: "not_currently_writing",
        file_being_written: "",
        start_time: 0,
        stop_time: 0,
      });
    });

    await t.step("invalid nexus_structure JSON is refused with 500 on the command topic", async () => {
      const jobId = await rig.startJob({ filename: "broken.nxs", structure: "{not json", startMs: Date.now() });
      const [answ] = await eventually("the answ", () => answersFor(rig, command, jobId), (a) => a.length > 0);
      assert.equal(answ.message.status_code, 500);
      assert.equal(answ.message.outcome, "Failure");
      assert.match(answ.message.message, /Could not parse NeXus structure JSON/);
    });

    await t.step("an unknown writer module is refused with 500, and no file is left", async () => {
      const odd = {
        children: [{
          type: "group",
          name: "g",
          children: [{ module: "zz99", config: { topic: command, source: "s" } }],
        }],
      };
      const jobId = await rig.startJob({ filename: "odd.nxs", structure: odd, startMs: Date.now() });
      const [answ] = await eventually("the answ", () => answersFor(rig, command, jobId), (a) => a.length > 0);
      assert.equal(answ.message.status_code, 500);
      assert.match(answ.message.message, /zz99/);
      await assert.rejects(Deno.stat(`${rig.dir}/odd.nxs`));
    });

    await t.step("a file name that leaves the output folder is refused with 400", async () => {
      const jobId = await rig.startJob({ filename: "../escape.nxs", structure, startMs: Date.now() });
      const [answ] = await eventually("the answ", () => answersFor(rig, command, jobId), (a) => a.length > 0);
      assert.equal(answ.message.status_code, 400);
      await assert.rejects(Deno.stat(`${rig.dir}/../escape.nxs`));
    });

    await t.step("an existing file is refused with 500 and left alone", async () => {
      await Deno.writeTextFile(`${rig.dir}/exists.nxs`, "precious");
      const jobId = await rig.startJob({ filename: "exists.nxs", structure, startMs: Date.now() });
      const [answ] = await eventually("the answ", () => answersFor(rig, command, jobId), (a) => a.length > 0);
      assert.equal(answ.message.status_code, 500);
      assert.match(answ.message.message, /already exists/);
      assert.equal(await Deno.readTextFile(`${rig.dir}/exists.nxs`), "precious");
    });

    await t.step("a topic that does not exist fails the job with a clear wrdn", async () => {
      const missing = loki({ events: "no_such_topic", motion: rig.topics.data.motion });
      const jobId = await rig.startJob({ filename: "missing.nxs", structure: missing, startMs: Date.now() });
      const wrdn = (await rig.finished(jobId)).message;
      assert.equal(wrdn.error_encountered, true);
      assert.match(wrdn.message, /no_such_topic as this topic does not exist/);
      const file = await readH5(`${rig.dir}/missing.nxs`);
      assert.equal(objectAt(file, "/entry/title").value, "Loki commissioning");
    });

    await t.step("a whole job: pl72, answ, status, 6s4t, answ, wrdn, and the file's exact contents", async () => {
      const start = Date.now();
      const jobId = await rig.startJob({ filename: "run1.nxs", structure, startMs: start, metadata: '{"run":1}' });
      await eventually("the start answ", () => answersFor(rig, control, jobId), (a) => a.length > 0);
      const motion = [[start - 1500, 3], [start - 1000, 5], [start + 100, 10], [start + 200, 15], [start + 200, 15]];
      await rig.produce("motion", motion.map(([ms, v]) => ({ value: value("SE:TEMP:01", ms, v), timestampMs: ms })));
      await rig.produce(
        "events",
        [0, 1, 2].map((k) => ({
          value: events("loki_det0", k, start + 10 * k, [k * 10 + 1, k * 10 + 2], [k + 1, k + 2]),
          timestampMs: start + 10 * k,
        })),
      );
      await eventually(
        "status while writing",
        () => rig.seen(control),
        (all) => all.filter((s) => s.id === "x5f2" && JSON.parse(s.message.status_json).job_id === jobId).length >= 2,
      );
      const wrong = await rig.stopJob(crypto.randomUUID(), start + 1000);
      const stopAt = Date.now() + 500;
      const stopId = await rig.stopJob(jobId, stopAt);
      const wrdn = (await rig.finished(jobId)).message;
      assert.equal(wrdn.error_encountered, false);
      assert.equal(wrdn.file_name, `${rig.dir}/run1.nxs`);
      assert.equal(wrdn.metadata, '{"run":1}');

      const ofJob = (s: { id: string; message: { job_id?: string; status_json?: string } }) =>
        s.id === "x5f2" ? JSON.parse(s.message.status_json!).job_id === jobId : s.message.job_id === jobId;
      const sequence = (await rig.seen(control)).filter(ofJob).map((s) => s.id);
      assert.deepEqual(sequence.slice(0, 3), ["pl72", "answ", "x5f2"]);
      assert.deepEqual(sequence.filter((id) => id !== "x5f2"), ["pl72", "answ", "6s4t", "answ", "wrdn"]);
      const answers = await answersFor(rig, control, jobId);
      assert.deepEqual(answers.map((a) => [a.message.status_code, a.message.command_id]), [
        [201, jobId],
        [201, stopId],
      ]);
      const refused = (await rig.seen(control)).find((s) => s.id === "answ" && s.message.command_id === wrong);
      assert.equal(refused?.message.status_code, 400);

      const file = await readH5(`${rig.dir}/run1.nxs`);
      assert.equal(objectAt(file, "/entry/title").value, "Loki commissioning");
      assert.equal(objectAt(file, "/entry/start_time").value, new Date(start).toISOString());
      assert.equal(objectAt(file, "/entry/end_time").value, new Date(stopAt).toISOString());
      const ev = "/entry/instrument/detector_events";
      assert.deepEqual(objectAt(file, ev).attrs, {
        NX_class: "NXevent_data",
        topic: rig.topics.data.events,
        source: "loki_det0",
        writer_module: "ev44",
      });
      assert.deepEqual(objectAt(file, `${ev}/event_time_offset`).value, [1, 2, 11, 12, 21, 22]);
      assert.deepEqual(objectAt(file, `${ev}/event_id`).value, [1, 2, 2, 3, 3, 4]);
      assert.deepEqual(objectAt(file, `${ev}/event_index`).value, [0, 2, 4]);
      assert.deepEqual(objectAt(file, `${ev}/event_time_zero`).value, [0, 1, 2].map((k) => String(ns(start + 10 * k))));
      assert.equal(file.ids["/entry/data/events"], file.ids[ev]);
      const log = "/entry/instrument/sample_temperature";
      assert.deepEqual(objectAt(file, `${log}/value`).value, [5, 10, 15]);
      assert.equal(objectAt(file, `${log}/value`).attrs.units, "K");
      assert.deepEqual(objectAt(file, `${log}/time`).value, [
        String(ns(start - 1000)),
        String(ns(start + 100)),
        String(ns(start + 200)),
      ]);
      assert.equal(objectAt(file, `${log}/minimum_value`).value, 5);
      assert.equal(objectAt(file, `${log}/maximum_value`).value, 15);
      assert.equal(objectAt(file, `${log}/average_value`).value, 10);
      assert.deepEqual(objectAt(file, `${log}/alarm_severity`).value, []);
      assert.equal((await Deno.stat(`${rig.dir}/run1.nxs`)).mode! & 0o222, 0);
    });

    await t.step("a job whose control topic cannot be read is stopped at once, with a clear wrdn", async () => {
      const controlTopic = `${control}_missing`;
      const jobId = await rig.startJob({ filename: "no_control.nxs", structure, startMs: Date.now(), controlTopic });
      const wrdn = await eventually(
        "the wrdn on the command topic",
        async () => (await rig.seen(command)).find((s) => s.id === "wrdn" && s.message.job_id === jobId),
        Boolean,
      );
      assert.equal(wrdn!.message.error_encountered, true);
      assert.match(
        wrdn!.message.message,
        new RegExp(`Cannot read the control topic ${controlTopic} for stop commands`),
      );
      await Deno.stat(`${rig.dir}/no_control.nxs`);
    });

    await t.step("after the job the writer is idle again on the command topic", async () => {
      const before = (await rig.seen(command)).length;
      await eventually(
        "idle status again",
        () => rig.seen(command),
        (all) => all.slice(before).some((s) => s.id === "x5f2" && JSON.parse(s.message.status_json).state === "idle"),
      );
    });
  } finally {
    if (Deno.env.get("NXFLOW_TEST_LOG")) console.error(rig.logs.join("\n"));
    await rig.stop();
    await kafka.stop();
  }
});
