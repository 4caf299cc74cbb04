/**
 * ev44 de-duplication by (source, message id, first pulse time): the pure key logic, and a writer on a real Kafka
 * that gets a record twice (as a restarted producer stores it) and writes its events once.
 */
import assert from "node:assert/strict";
import { EventDedup } from "../../actors/writer/event_dedup.ts";
import type { Event44Message } from "../../schemas/ev44/codec.ts";
import { objectAt, readH5 } from "../_harness/h5py.ts";
import { startKafka } from "../_harness/kafka.ts";
import { events, ns } from "./messages.ts";
import { startRig } from "./rig.ts";

const msg = (id: number, ...pulses: number[]) =>
  ({ message_id: BigInt(id), reference_time: BigInt64Array.from(pulses.map(BigInt)) }) as unknown as Event44Message;

Deno.test("EventDedup: the same source, message id and first pulse time is a duplicate; any difference is not", () => {
  const d = new EventDedup();
  assert.equal(d.seen("det", msg(1, 100)), false);
  assert.equal(d.seen("det", msg(1, 100)), true);
  assert.equal(d.seen("det", msg(1, 200)), false, "ids start again with a new process");
  assert.equal(d.seen("det", msg(2, 100)), false, "another message of the same pulse");
  assert.equal(d.seen("mon", msg(1, 100)), false, "another source");
  assert.equal(d.seen("det", msg(3)), false);
  assert.equal(d.seen("det", msg(3)), true, "a message without pulses");
});

Deno.test("EventDedup remembers the last `capacity` messages", () => {
  const d = new EventDedup(3);
  for (let i = 0; i < 10; i++) assert.equal(d.seen("det", msg(i, i)), false);
  assert.equal(d.seen("det", msg(9, 9)), true);
  assert.equal(d.seen("det", msg(7, 7)), true);
  assert.equal(d.seen("det", msg(6, 6)), false, "forgotten");
});

Deno.test("EventDedup: the keys a checkpoint keeps make a replacement recognise repeats of what came before", () => {
  const before = new EventDedup();
  for (let i = 0; i < 5; i++) before.seen("det", msg(i, i * 10));
  const keys = JSON.parse(JSON.stringify(before.recent(3))); // through the checkpoint's JSON
  assert.equal(keys.length, 3);
  const replacement = new EventDedup();
  replacement.seed(keys);
  assert.equal(replacement.seen("det", msg(4, 40)), true, "a repeat of a message written before the checkpoint");
  assert.equal(replacement.seen("det", msg(2, 20)), true);
  assert.equal(replacement.seen("det", msg(1, 10)), false, "older than the keys kept");
});

Deno.test("the writer writes an ev44 record that is twice in Kafka once, and counts the drop", async () => {
  const kafka = await startKafka();
  const rig = await startRig(kafka.connection, { dataTopics: { events: 1 } });
  try {
    const T = Date.now() - 60_000;
    const record = (id: number, ms: number) => ({
      value: events("det_dup", id, ms, [id + 1], [id + 1]),
      timestampMs: ms,
      partition: 0,
    });
    // id 1 twice (a re-send after a producer restart), id 0 again for a later pulse (the restarted process's ids),
    // and id 2 for the pulse of id 1 (another message of one pulse)
    await rig.produce("events", [
      record(0, T + 100),
      record(1, T + 200),
      record(1, T + 200),
      record(0, T + 300),
      record(2, T + 200),
      record(3, T + 5000),
    ]);
    const jobId = await rig.startJob({
      filename: "dedup.nxs",
      structure: {
        children: [{
          type: "group",
          name: "entry",
          children: [{ module: "ev44", config: { topic: rig.topics.data.events, source: "det_dup" } }],
        }],
      },
      startMs: T,
      stopMs: T + 1000,
    });
    const wrdn = await rig.finished(jobId);
    assert.equal(wrdn.message.error_encountered, false);
    const file = await readH5(`${rig.dir}/dedup.nxs`);
    assert.deepEqual(objectAt(file, "/entry/event_time_offset").value, [1, 2, 1, 3]);
    assert.deepEqual(
      objectAt(file, "/entry/event_time_zero").value,
      [100, 200, 300, 200].map((d) => `${ns(T + d)}`),
    );
    assert.match(rig.logs.join("\n"), new RegExp(`job ${jobId}: finished \\(.*, 1 duplicate ev44 dropped\\)`));
  } finally {
    await rig.stop();
    await kafka.stop();
  }
});
