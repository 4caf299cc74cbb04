/**
 * The live view's digest (pure logic): per-topic counts, the newest histogram per id, PV series, the writer's jobs
 * from x5f2 and wrdn, the histogrammer's answers, and undecodable records counted.
 */
import assert from "node:assert/strict";
import { Digest } from "../../actors/live/digest.ts";
import { statusJson, statusMessage } from "../../actors/writer/command/status.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import { f144 } from "../../schemas/f144/codec.ts";
import { hs01 } from "../../schemas/hs01/codec.ts";
import { wrdn } from "../../schemas/wrdn/codec.ts";

const text = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

function histogram(id: string, ns: bigint, data: number[]): Uint8Array {
  return hs01.encode({
    source: "just-bin-it",
    timestamp: ns,
    current_shape: [data.length],
    dim_metadata: [{
      length: data.length + 1,
      bin_boundaries_type: "ArrayDouble",
      bin_boundaries: { value: data.concat(0).map((_, i) => i * 10) },
    }],
    data_type: "ArrayLong",
    data: { value: BigInt64Array.from(data, BigInt) },
    info: JSON.stringify({ id, state: "COUNTING", sum: data.reduce((a, b) => a + b, 0) }),
  });
}

Deno.test("the digest keeps what the live page shows", () => {
  const d = new Digest(60_000, "responses", "commands");
  const events = ev44.encode({
    source_name: "det",
    message_id: 1n,
    reference_time: BigInt64Array.of(1n),
    reference_time_index: Int32Array.of(0),
    time_of_flight: Int32Array.of(1, 2, 3),
    pixel_id: Int32Array.of(4, 5, 6),
  });
  d.add({ topic: "det", value: events, nowMs: 1000 });
  d.add({ topic: "det", value: events, nowMs: 1100 });
  const broken = new Uint8Array(12);
  broken.set([255, 255, 0, 0, ...new TextEncoder().encode("ev44")]); // an ev44 whose root table is out of bounds
  d.add({ topic: "det", value: broken, nowMs: 1200 });
  for (const [ms, v] of [[1000, 290], [2000, 291], [100_000, 292]]) {
    const value = f144.encode({
      source_name: "T",
      timestamp: BigInt(ms) * 1_000_000n,
      value_type: "Double",
      value: { value: v },
    });
    d.add({ topic: "epics", value, nowMs: ms });
  }
  d.add({ topic: "hist", value: histogram("a", 5n, [1, 2]), nowMs: 10 });
  d.add({ topic: "hist", value: histogram("a", 7n, [3, 4]), nowMs: 20 });
  d.add({ topic: "responses", value: text({ msg_id: "m1", response: "ERR", message: "bad" }), nowMs: 30 });
  d.add({ topic: "commands", value: text({ cmd: "config", msg_id: "c1", histograms: [] }), nowMs: 31 });
  d.add({ topic: "commands", value: text({ cmd: "reset_counts" }), nowMs: 32 });
  const job = { jobId: "j1", filename: "run.nxs", startMs: 500, stopMs: 9000 };
  const status = statusMessage({ serviceId: "w", version: "1", intervalMs: 2000, statusJson: statusJson(job) });
  d.add({ topic: "control", value: status, nowMs: 40 });
  assert.deepEqual(d.writing().map((j) => j.jobId), ["j1"]);
  d.add({
    topic: "control",
    value: wrdn.encode({ service_id: "w", job_id: "j1", error_encountered: false, file_name: "/o/run.nxs" }),
    nowMs: 50,
  });
  d.add({ topic: "control", value: status, nowMs: 60 }); // a late status does not make it writing again

  const v = d.view(100);
  assert.deepEqual(v.topics.det, { messages: 3, events: 6, bytes: 2 * events.byteLength + 12, lastMs: 1200 });
  assert.equal(v.undecodable, 1);
  assert.deepEqual(v.pvs, [{ source: "T", times: [100_000], values: [292] }], "updates older than 60 s are dropped");
  assert.equal(v.histograms.length, 1);
  assert.deepEqual(Array.from(v.histograms[0].counts), [3, 4]);
  assert.equal(v.histograms[0].timestampNs, "7");
  assert.deepEqual(v.histograms[0].edges, [[0, 10, 20]]);
  assert.deepEqual(d.histResponse, { msgId: "m1", response: "ERR", message: "bad" });
  assert.deepEqual(v.jobs, [{ ...job, state: "finished", updatedMs: 50 }], "the file name as the run start gave it");
  assert.deepEqual(d.writing(), []);
  assert.equal(d.newestHistogramMs(["a", "b"]), 20);
  assert.equal(d.lastConfigId, "c1");
});
