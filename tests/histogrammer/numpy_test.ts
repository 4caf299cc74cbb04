/**
 * The histogrammer against a real Kafka, driven by commands written as just-bin-it's documentation writes them; its
 * output decoded by ESS's Python package `ess-streaming-data-types` equals numpy's histograms of the events produced,
 * bin for bin (just-bin-it's bin conventions: numpy.histogram/histogram2d ranges with both ends inclusive, dethist's
 * upper end excluded): hs01, da00 and hs00, all four histogram types over one input decoded once, reset_counts, stop.
 */
import assert from "node:assert/strict";
import type { BinnerProtocol } from "../../protocols/histogrammer.ts";
import { da00 } from "../../schemas/da00/codec.ts";
import { hs00 } from "../../schemas/hs00/codec.ts";
import { hs01 } from "../../schemas/hs01/codec.ts";
import { startKafka } from "../_harness/kafka.ts";
import { eventually } from "../_harness/wait.ts";
import { type Case, checkWithNumpy, ev44Message, randomEvents, type Rig, startRig } from "./rig.ts";

const TOF_MAX = 71_000;
const IDS = 4096;

/** just-bin-it's documented example (its four types), on the rig's topics; ranges that hit the edges exactly. */
function histograms(rig: Rig): { id: string; source?: string; [key: string]: unknown }[] {
  const common = { data_brokers: rig.connection.brokers, data_topics: [rig.topics.events] };
  return [
    { type: "hist1d", ...common, tof_range: [0, TOF_MAX], num_bins: 500, topic: rig.topics.out, id: "tof-1d" },
    // 7 bins over 1000: edges that are not whole numbers
    { type: "hist1d", ...common, tof_range: [0, 1000], num_bins: 7, topic: rig.topics.out, id: "tof-odd" },
    {
      type: "hist1d",
      ...common,
      tof_range: [0, TOF_MAX],
      num_bins: 50,
      det_range: [100, 2000],
      topic: rig.topics.out,
      source: "loki_detector_0",
      id: "tof-det",
    },
    {
      type: "hist2d",
      ...common,
      tof_range: [0, TOF_MAX],
      det_range: [1, IDS],
      num_bins: [20, 64],
      topic: rig.topics.out2,
      id: "tof-vs-pixel",
    },
    { type: "dethist", ...common, det_range: [1, 4097], width: 32, height: 128, topic: rig.topics.out2, id: "map" },
    { type: "roihist", ...common, left_edges: [70, 102, 134], width: 8, topic: rig.topics.out2, id: "roi-a" },
  ];
}

/** The newest output message of one histogram id in one schema. */
interface Out {
  value: Uint8Array;
  /** total counts: info.sum (hs), the sum of the signal (da00). */
  sum: number;
  /** info.state (hs); "" for da00. */
  state: string;
  // deno-lint-ignore no-explicit-any
  info: any;
}

/** The newest output of each histogram id in `schema` on both output topics (ids: info.id, da00 source_name). */
async function newest(rig: Rig, schema: Case["schema"]): Promise<Map<string, Out>> {
  const all = [...await rig.seen(rig.topics.out), ...await rig.seen(rig.topics.out2)];
  const found = new Map<string, Out>();
  for (const s of all.sort((a, b) => a.timestampMs - b.timestampMs)) {
    if (new TextDecoder().decode(s.value.subarray(4, 8)) !== schema) continue;
    if (schema === "da00") {
      const d = da00.decode(s.value);
      const signal = d.data.find((v) => v.name === "signal")!;
      const sum = new BigInt64Array(signal.data.slice().buffer).reduce((a, b) => a + Number(b), 0);
      found.set(d.source_name, { value: s.value, sum, state: "", info: null });
    } else {
      const info = JSON.parse((schema === "hs01" ? hs01 : hs00).decode(s.value).info ?? "{}");
      found.set(info.id, { value: s.value, sum: info.sum, state: info.state, info });
    }
  }
  return found;
}

/**
 * Waits until `check` passes for the newest output of each of `ids`, then until the newest outputs of every histogram
 * stay the same for a second (three publish periods): the outputs of one publish go to two topics and reach the probe
 * at different moments, so one histogram's newest output can be a publish older than another's.
 */
async function latest(rig: Rig, schema: Case["schema"], ids: string[], check: (o: Out) => boolean) {
  await eventually(
    `${schema} outputs of ${ids.join(", ")}`,
    () => newest(rig, schema),
    (found) => ids.every((id) => found.has(id) && check(found.get(id)!)),
  );
  let seen = "", since = performance.now();
  return await eventually(`${schema} outputs settled`, () => newest(rig, schema), (found) => {
    const now = JSON.stringify([...found].map(([id, o]) => [id, o.sum]).sort());
    if (now !== seen) [seen, since] = [now, performance.now()];
    return ids.every((id) => found.has(id) && check(found.get(id)!)) && performance.now() - since >= 1000;
  });
}

/** Produces `messages` ev44 messages over both partitions; returns all events and those of source 0. */
async function pulses(rig: Rig, seed: number, messages: number, perMessage: number) {
  const all: [number[], number[]] = [[], []], source0: [number[], number[]] = [[], []];
  const records = [];
  for (let m = 0; m < messages; m++) {
    const [tof, det] = randomEvents(seed * 1000 + m, perMessage, TOF_MAX, IDS);
    // exact edges of the ranges
    tof.set([0, TOF_MAX, 1000, 142, 143, 857, -1], 0);
    det.set([100, 2000, 1, IDS, 4097, 0, 4096], 0);
    const source = `loki_detector_${m % 2}`;
    records.push({ value: ev44Message(source, BigInt(Date.now()) * 1_000_000n, tof, det), partition: m % 2 });
    all[0].push(...tof), all[1].push(...det);
    if (m % 2 === 0) source0[0].push(...tof), source0[1].push(...det);
  }
  await rig.produce(records);
  return { all, source0 };
}

function inRange(tof: number[], lo: number, hi: number): number {
  return tof.filter((t) => t >= lo && t <= hi).length;
}

/** Checks every latest output against numpy of the events it should have counted. */
async function assertNumpy(
  rig: Rig,
  schema: Case["schema"],
  found: Map<string, { value: Uint8Array }>,
  events: { all: [number[], number[]]; source0: [number[], number[]] },
): Promise<void> {
  const specs = histograms(rig);
  const cases = specs.map((spec) => {
    const [tof, det] = spec.source ? events.source0 : events.all;
    return { schema, value: found.get(spec.id)!.value, spec, tof, det };
  });
  const results = await checkWithNumpy(cases);
  for (const [i, r] of results.entries()) {
    const id = specs[i].id;
    assert.deepEqual(r.decoded.shape, r.expected.shape, `${id}: shape`);
    assert.deepEqual(r.decoded.edges, r.expected.edges, `${id}: bin edges`);
    assert.deepEqual(r.decoded.data, r.expected.data, `${id}: counts`);
    assert.ok(r.expected.data.some((c) => c > 0), `${id}: numpy counted nothing: the test would prove nothing`);
  }
}

Deno.test("histogrammer: just-bin-it commands, output equal to numpy via ess-streaming-data-types", async (t) => {
  const kafka = await startKafka();
  const rig = await startRig(kafka.connection);
  try {
    const ids = histograms(rig).map((h) => h.id);
    const config = (msgId: string, output: string) => ({
      cmd: "config",
      msg_id: msgId,
      input_schema: "ev44",
      output_schema: output,
      histograms: histograms(rig),
    });
    await t.step("config as just-bin-it documents it: hs01 of the four types equals numpy, decoded once", async () => {
      await rig.command(config("nx-42", "hs01"));
      assert.deepEqual(await rig.response("nx-42"), { msg_id: "nx-42", response: "ACK" });
      await latest(rig, "hs01", ids, (o) => o.state === "INITIALISED" && o.sum === 0);
      const events = await pulses(rig, 1, 8, 5000);
      const total = inRange(events.all[0], 0, TOF_MAX);
      await latest(rig, "hs01", ["tof-1d"], (o) => o.sum === total && o.state === "COUNTING");
      assert.equal(rig.manager.running.length, 1, "one consumer and binner for the one input");
      const binner = rig.system.ref<BinnerProtocol>(`root/histogrammer/runs/${rig.manager.running[0]}/binner`);
      assert.equal((await binner.request("stats", null)).messages, 8, "each message decoded once");
      await rig.command({ cmd: "stop" });
      const found = await latest(rig, "hs01", ids, (o) => o.state === "FINISHED");
      await assertNumpy(rig, "hs01", found, events);
      const tof1d = found.get("tof-1d")!;
      assert.equal(hs01.decode(tof1d.value).source, "just-bin-it");
      assert.deepEqual(Object.keys(tof1d.info).sort(), ["diff", "id", "last_pulse_time", "rate", "state", "sum"]);
      await eventually("the run removed", () => rig.manager.running, (r) => r.length === 0);
    });

    await t.step("da00: signal with bin-edge coordinates, units and labels, equal to numpy", async () => {
      await rig.command(config("da", "da00"));
      assert.equal((await rig.response("da")).response, "ACK");
      const events = await pulses(rig, 2, 6, 4000);
      const total = inRange(events.all[0], 0, TOF_MAX);
      const found = await latest(rig, "da00", ["tof-1d"], (o) => o.sum === total);
      await assertNumpy(rig, "da00", found, events);
      const one = async (id: string) => {
        const spec = histograms(rig).find((h) => h.id === id)!;
        return (await checkWithNumpy([{ schema: "da00", value: found.get(id)!.value, spec, tof: [], det: [] }]))[0];
      };
      const map = await one("map");
      assert.deepEqual(map.decoded.axes, ["y", "x"]);
      assert.deepEqual(map.decoded.names, ["signal", "y", "x"]);
      assert.equal(map.decoded.units.signal, "counts");
      assert.equal(map.decoded.label, "map");
      const tof = await one("tof-1d");
      assert.deepEqual(tof.decoded.axes, ["tof"]);
      assert.equal(tof.decoded.units.tof, "ns");
      assert.equal(tof.decoded.edges[0].length, 501, "bin edges: n + 1 values");
    });

    await t.step(
      "a new config finishes the previous one; hs00 equals numpy; reset_counts starts from zero",
      async () => {
        await rig.command(config("hs00", "hs00"));
        assert.equal((await rig.response("hs00")).response, "ACK");
        await eventually("one run", () => rig.manager.running, (r) => r.length === 1);
        await latest(rig, "hs00", ids, (o) => o.state === "INITIALISED");
        const first = await pulses(rig, 3, 4, 3000);
        await latest(rig, "hs00", ["tof-1d"], (o) => o.sum === inRange(first.all[0], 0, TOF_MAX));
        await rig.command({ cmd: "reset_counts", msg_id: "reset" });
        assert.equal((await rig.response("reset")).response, "ACK");
        await latest(rig, "hs00", ["tof-1d"], (o) => o.sum === 0);
        const second = await pulses(rig, 4, 4, 3000);
        const found = await latest(rig, "hs00", ["tof-1d"], (o) => o.sum === inRange(second.all[0], 0, TOF_MAX));
        await assertNumpy(rig, "hs00", found, second);
      },
    );
  } finally {
    await rig.stop();
    await kafka.stop();
  }
});
