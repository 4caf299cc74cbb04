/**
 * `nxflow writer` as a subprocess, stopped during a job: killed (SIGKILL, a power cut), the file on disk stays readable
 * up to its last flush; stopped with SIGINT (Ctrl-C), the file is finished as by a "stop now".
 */
import assert from "node:assert/strict";
import { startKafka } from "../_harness/kafka.ts";
import { objectAt, readH5 } from "../_harness/h5py.ts";
import { reap, spawnNxflow } from "../_harness/process.ts";
import { eventually } from "../_harness/wait.ts";
import { events } from "./messages.ts";
import { startRig } from "./rig.ts";

/**
 * Runs a job of 20 event messages in a writer subprocess, sends it `signal` once they are flushed, reads the file;
 * `wrdn` tells whether the job's wrdn came.
 */
async function interrupted(
  signal: Deno.Signal,
): Promise<{ file: Awaited<ReturnType<typeof readH5>>; mode: number; wrdn: boolean }> {
  const kafka = await startKafka();
  const rig = await startRig(kafka.connection, { dataTopics: { events: 1 }, writer: false });
  const writer = spawnNxflow([
    "writer",
    ...["--brokers", kafka.bootstrap, "--no-admin", "--hdf-output-prefix", rig.dir],
    ...["--job-pool-topic", rig.topics.pool, "--command-status-topic", rig.topics.command],
    ...["--status-master-interval", "500ms", "--data-flush-interval", "300ms"],
  ]);
  try {
    await eventually(
      "the writer's idle status",
      () => rig.seen(rig.topics.command),
      (all) => all.some((s) => s.id === "x5f2"),
      60_000,
    );
    const start = Date.now();
    const structure = {
      children: [{
        type: "group",
        name: "entry",
        children: [{ module: "ev44", config: { topic: rig.topics.data.events, source: "det" } }],
      }],
    };
    const jobId = await rig.startJob({ filename: "killed.nxs", structure, startMs: start });
    await eventually(
      "the job to start",
      () => rig.seen(rig.topics.control),
      (all) => all.some((s) => s.id === "answ" && s.message.job_id === jobId && s.message.status_code === 201),
    );
    await rig.produce(
      "events",
      Array.from(
        { length: 20 },
        (_, k) => ({ value: events("det", k, start + k, [1, 2], [k, k]), timestampMs: start + k }),
      ),
    );
    // The status's counters are those of the file writer's last checkpoint: it sends them (progress) right after
    // writing the checkpoint and flushing the file. A status counting 20 written is the observable flush.
    await eventually(
      "a status counting the written messages, so flushed",
      () => rig.seen(rig.topics.control),
      (all) => all.some((s) => s.id === "x5f2" && JSON.parse(s.message.status_json).counters?.written === 20),
    );
    writer.child.kill(signal);
    await writer.child.status;
    const path = `${rig.dir}/killed.nxs`;
    const done = () => rig.seen(rig.topics.control).then((all) => all.some((s) => s.id === "wrdn"));
    const wrdn = signal === "SIGKILL" ? await done() : await eventually("the wrdn", done, Boolean, 10_000);
    return { file: await readH5(path), mode: (await Deno.stat(path)).mode!, wrdn };
  } finally {
    if (Deno.env.get("NXFLOW_TEST_LOG")) console.error(writer.lines.join("\n"));
    await reap(writer);
    await rig.stop();
    await kafka.stop();
  }
}

const all = Array.from({ length: 20 }, (_, k) => [k, k]).flat();

Deno.test("a writer process killed during a job leaves a file that h5py reads up to its last flush", async () => {
  const { file, wrdn } = await interrupted("SIGKILL");
  assert.equal(wrdn, false);
  assert.deepEqual(objectAt(file, "/entry/event_id").value, all);
  assert.equal(typeof objectAt(file, "/").attrs.nxflow_checkpoint, "string");
});

Deno.test("Ctrl-C during a job finishes the file and sends its wrdn before the writer exits", async () => {
  const { file, mode, wrdn } = await interrupted("SIGINT");
  assert.equal(wrdn, true);
  assert.deepEqual(objectAt(file, "/entry/event_id").value, all);
  assert.equal(objectAt(file, "/").attrs.nxflow_checkpoint, undefined);
  assert.equal(mode & 0o222, 0);
});
