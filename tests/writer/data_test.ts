/**
 * The file writer's streaming semantics against a real Kafka, each file read back with h5py: historic data, a start
 * and stop in the future, the last known value of a slow PV, two jobs at once, five crashes of the file writer during
 * a job (every event exactly once), and garbage on a data topic.
 */
import assert from "node:assert/strict";
import type { HandlerProtocol } from "../../protocols/writer.ts";
import { x5f2 } from "../../schemas/x5f2/codec.ts";
import { startKafka } from "../_harness/kafka.ts";
import { objectAt, readH5 } from "../_harness/h5py.ts";
import { eventually } from "../_harness/wait.ts";
import { events, ns, value } from "./messages.ts";
import { type Rig, startRig } from "./rig.ts";

/** An entry with one ev44 stream and f144 streams, on the rig's data topics. */
function structure(rig: Rig, detector: string, pvs: string[]): unknown {
  const logs = pvs.map((pv, i) => ({
    type: "group",
    name: `log${i}`,
    attributes: { NX_class: "NXlog" },
    children: [{ module: "f144", config: { topic: rig.topics.data.motion, source: pv, value_units: "K" } }],
  }));
  return {
    children: [{
      type: "group",
      name: "entry",
      attributes: { NX_class: "NXentry" },
      children: [
        { module: "mdat", config: { items: ["start_time", "end_time"] } },
        {
          type: "group",
          name: "events",
          children: [{ module: "ev44", config: { topic: rig.topics.data.events, source: detector } }],
        },
        ...logs,
      ],
    }],
  };
}

/**
 * Produces one ev44 message per pulse time (ms), with Kafka timestamps equal to the pulse times, all to partition 0
 * (the file's order across partitions is the order of arrival).
 */
async function pulses(rig: Rig, detector: string, times: number[], perPulse = 2): Promise<void> {
  await rig.produce(
    "events",
    times.map((ms, k) => ({
      value: events(detector, k, ms, Array.from({ length: perPulse }, (_, i) => i + 1), [k + 1, k + 2]),
      timestampMs: ms,
      partition: 0,
    })),
  );
}

async function values(rig: Rig, pv: string, points: [number, number][]): Promise<void> {
  await rig.produce("motion", points.map(([ms, v]) => ({ value: value(pv, ms, v), timestampMs: ms })));
}

const times = (file: Awaited<ReturnType<typeof readH5>>, path: string) => objectAt(file, path).value as string[];

Deno.test("file writer streaming semantics on a real Kafka", async (t) => {
  const kafka = await startKafka();
  const rig = await startRig(kafka.connection, {
    dataTopics: { events: 2, motion: 1, empty: 1 },
    flushIntervalMs: 300,
  });
  try {
    await t.step("historic data: only the window, and the last known values before it", async () => {
      const T = Date.now();
      await pulses(rig, "det_hist", [T - 55_000, T - 45_000, T - 40_000, T - 31_000, T - 25_000]);
      await values(rig, "PV:SLOW", [[T - 51_500, 42]]); // first: a partition ends at its first record past the stop
      await values(rig, "PV:HIST", [[T - 55_000, 1], [T - 51_000, 2], [T - 45_000, 3], [T - 35_000, 4], [
        T - 25_000,
        5,
      ]]);
      const jobId = await rig.startJob({
        filename: "historic.nxs",
        structure: structure(rig, "det_hist", ["PV:HIST", "PV:SLOW"]),
        startMs: T - 50_000,
        stopMs: T - 30_000,
      });
      assert.equal((await rig.finished(jobId)).message.error_encountered, false);
      const file = await readH5(`${rig.dir}/historic.nxs`);
      assert.deepEqual(
        times(file, "/entry/events/event_time_zero"),
        [45_000, 40_000, 31_000].map((d) => `${ns(T - d)}`),
      );
      assert.deepEqual(objectAt(file, "/entry/log0/value").value, [2, 3, 4]);
      assert.deepEqual(times(file, "/entry/log0/time"), [51_000, 45_000, 35_000].map((d) => `${ns(T - d)}`));
      assert.deepEqual(objectAt(file, "/entry/log1/value").value, [42]);
      assert.equal(objectAt(file, "/entry/end_time").value, new Date(T - 30_000).toISOString());
    });

    await t.step("a topic with no data: empty datasets, and the job succeeds", async () => {
      const start = Date.now();
      const quiet = {
        children: [{
          type: "group",
          name: "entry",
          children: [{ module: "ev44", config: { topic: rig.topics.data.empty, source: "nobody" } }],
        }],
      };
      const jobId = await rig.startJob({
        filename: "empty.nxs",
        structure: quiet,
        startMs: start,
        stopMs: start + 500,
      });
      assert.equal((await rig.finished(jobId)).message.error_encountered, false);
      const file = await readH5(`${rig.dir}/empty.nxs`);
      for (const name of ["event_id", "event_time_offset", "event_time_zero", "event_index"]) {
        assert.deepEqual(objectAt(file, `/entry/${name}`).shape, [0], name);
      }
    });

    await t.step("start and stop in the future: the job waits for them", async () => {
      const T = Date.now();
      const [start, stop] = [T + 2000, T + 4000];
      await pulses(rig, "det_future", [T + 1000, T + 3000, T + 3500, T + 5500]);
      await values(rig, "PV:FUTURE", [[T + 1000, 7], [T + 3000, 8], [T + 4500, 9]]);
      const jobId = await rig.startJob({
        filename: "future.nxs",
        structure: structure(rig, "det_future", ["PV:FUTURE"]),
        startMs: start,
        stopMs: stop,
      });
      const wrdn = await rig.finished(jobId);
      assert.ok(wrdn.timestampMs >= stop, `the job ended at ${wrdn.timestampMs}, before its stop ${stop}`);
      const file = await readH5(`${rig.dir}/future.nxs`);
      assert.deepEqual(times(file, "/entry/events/event_time_zero"), [`${ns(T + 3000)}`, `${ns(T + 3500)}`]);
      assert.deepEqual(objectAt(file, "/entry/log0/value").value, [7, 8]);
    });

    await t.step("five crashes of the file writer during a job: every event exactly once", async () => {
      const start = Date.now();
      const jobId = await rig.startJob({
        filename: "crashes.nxs",
        structure: structure(rig, "det_crash", []),
        startMs: start,
      });
      const path = `root/writer/jobs/job-${jobId}/file`;
      await eventually(
        "the job to run",
        async () => (await rig.seen(rig.topics.control)).some((s) => s.id === "answ"),
        Boolean,
      );
      const perMessage = 500;
      let k = 0;
      for (let round = 0; round < 6; round++) {
        const batch = Array.from({ length: 20 }, () => k++);
        await rig.produce(
          "events",
          batch.map((i) => ({
            value: events(
              "det_crash",
              i,
              start + i,
              Array.from({ length: perMessage }, (_, e) => e),
              Array.from({ length: perMessage }, (_, e) => i * perMessage + e),
            ),
            timestampMs: start + i,
            partition: i % 2,
          })),
        );
        if (round === 5) break;
        await new Promise((r) => setTimeout(r, 400 + 150 * round));
        const before = rig.system.find(path).restarts;
        rig.system.inject(path, "crash");
        await eventually(
          "the file writer to restart",
          () => Promise.resolve(rig.system.find(path)),
          (a) => a.restarts === before + 1 && a.state === "running",
        );
      }
      await rig.stopJob(jobId, Date.now());
      assert.equal((await rig.finished(jobId)).message.error_encountered, false);
      assert.equal(rig.logs.filter((l) => l.includes(`exited ${path} crash`)).length, 5);
      const file = await readH5(`${rig.dir}/crashes.nxs`);
      const ids = (objectAt(file, "/entry/events/event_id").value as number[]).slice().sort((a, b) => a - b);
      assert.equal(ids.length, k * perMessage);
      assert.ok(ids.every((id, i) => id === i), "event ids are not 0..n-1 exactly once");
      const zeros = (objectAt(file, "/entry/events/event_time_zero").value as string[]).map(BigInt);
      assert.equal(new Set(zeros).size, k);
    });

    await t.step("garbage on a data topic is counted in status, skipped, and the job completes", async () => {
      const start = Date.now();
      const jobId = await rig.startJob({
        filename: "garbage.nxs",
        structure: structure(rig, "det_garbage", []),
        startMs: start,
      });
      await eventually(
        "the job to run",
        () => rig.seen(rig.topics.control),
        (all) => all.some((s) => s.id === "answ" && s.message.job_id === jobId),
      );
      const junk = [
        crypto.getRandomValues(new Uint8Array(64)),
        new Uint8Array([1, 2, 3]),
        x5f2.encode({ software_name: "junk", service_id: "junk", update_interval: 1, status_json: "{}" }),
        events("det_garbage", 0, 0, [1], [1]),
      ];
      await rig.produce("events", junk.map((value) => ({ value, timestampMs: start + 10, partition: 0 })));
      await pulses(rig, "det_garbage", [start + 20, start + 30]);
      // the statuses' counters only (all the topic's messages would hide them in a timeout's message)
      const counters = async () =>
        (await rig.seen(rig.topics.control)).filter((s) => s.id === "x5f2")
          .map((s) => JSON.parse(s.message.status_json))
          .filter((j) => j.job_id === jobId).map((j) => j.counters ?? null).slice(-3);
      const counted = await eventually(
        "status with the bad messages (the last three statuses' counters shown)",
        counters,
        (last) => last.some((c) => (c?.badMessages ?? 0) >= 3),
        120_000,
      );
      assert.ok(counted);
      await rig.stopJob(jobId, Date.now());
      assert.equal((await rig.finished(jobId)).message.error_encountered, false);
      const file = await readH5(`${rig.dir}/garbage.nxs`);
      assert.deepEqual(times(file, "/entry/events/event_time_zero"), [`${ns(start + 20)}`, `${ns(start + 30)}`]);
    });
  } finally {
    if (Deno.env.get("NXFLOW_TEST_LOG")) console.error(rig.logs.join("\n"));
    await rig.stop();
  }

  const two = await startRig(kafka.connection, { dataTopics: { events: 1, motion: 1 }, maxJobs: 2 });
  try {
    await t.step("two jobs written at once by one process", async () => {
      const start = Date.now();
      const a = await two.startJob({ filename: "a.nxs", structure: structure(two, "det_a", []), startMs: start });
      const b = await two.startJob({ filename: "b.nxs", structure: structure(two, "det_b", []), startMs: start });
      await eventually(
        "both jobs to run",
        () => two.seen(two.topics.control),
        (all) => [a, b].every((id) => all.some((s) => s.id === "answ" && s.message.job_id === id)),
      );
      await pulses(two, "det_a", [start + 1, start + 2, start + 3]);
      await pulses(two, "det_b", [start + 4, start + 5]);
      const running = await two.system.ref<HandlerProtocol>("writer/handler").request("stats", null);
      assert.equal(running.running, 2);
      await two.stopJob(a, Date.now());
      await two.stopJob(b, Date.now());
      await two.finished(a);
      await two.finished(b);
      const fa = await readH5(`${two.dir}/a.nxs`);
      const fb = await readH5(`${two.dir}/b.nxs`);
      assert.equal((objectAt(fa, "/entry/events/event_time_zero").value as string[]).length, 3);
      assert.equal((objectAt(fb, "/entry/events/event_time_zero").value as string[]).length, 2);
    });
  } finally {
    if (Deno.env.get("NXFLOW_TEST_LOG")) console.error(two.logs.join("\n"));
    await two.stop();
    await kafka.stop();
  }
});
