/**
 * The binning kernels and the command checks, as pure logic, on the worked examples of just-bin-it's conventions
 * (reference: operations-and-live-view.md §2.3–2.4); the comparison with numpy itself is in numpy_test.ts.
 */
import assert from "node:assert/strict";
import type { HistogramSpec } from "../../protocols/histogrammer.ts";
import { CommandError, parseCommand } from "../../actors/histogrammer/commands.ts";
import { createHistogram, type Histogram, linearEdges } from "../../actors/histogrammer/histograms.ts";
import { histogramMessage } from "../../actors/histogrammer/output.ts";
import { da00 } from "../../schemas/da00/codec.ts";
import { hs01 } from "../../schemas/hs01/codec.ts";

const base = { dataBrokers: ["b:9092"], dataTopics: ["t"], topic: "o", source: "", id: "" };
const bin = (spec: HistogramSpec, tof: number[], det: number[] = []) => {
  const h = createHistogram(spec);
  h.add(Int32Array.from(tof), Int32Array.from(det), tof.length || det.length);
  return Array.from(h.counts());
};

Deno.test("hist1d: half-open bins, the last one closed, values outside dropped", () => {
  const spec: HistogramSpec = { ...base, type: "hist1d", tofRange: [0, 100], numBins: [4] };
  assert.deepEqual(bin(spec, [0, 24, 25, 99, 100, 101, -1]), [2, 1, 0, 2]);
});

Deno.test("hist1d with det_range: both ends of the id range count", () => {
  const spec: HistogramSpec = { ...base, type: "hist1d", tofRange: [0, 100], numBins: [1], detRange: [10, 20] };
  assert.deepEqual(bin(spec, [5, 5, 5, 5], [9, 10, 20, 21]), [2]);
});

Deno.test("linear edges are numpy's linspace, and an empty range is widened by 0.5 on each side", () => {
  assert.deepEqual(Array.from(linearEdges(0, 10, 3)), [0, 3.3333333333333335, 6.666666666666667, 10]);
  assert.deepEqual(Array.from(linearEdges(5, 5, 2)), [4.5, 5, 5.5]);
  const spec: HistogramSpec = { ...base, type: "hist1d", tofRange: [0, 10], numBins: [3] };
  assert.deepEqual(bin(spec, [3, 4, 6, 7, 10]), [1, 2, 2]);
});

Deno.test("dethist: x = i mod width is the slow axis; the id lo + width·height is dropped", () => {
  const spec: HistogramSpec = { ...base, type: "dethist", detRange: [1, 6], width: 3, height: 2 };
  assert.deepEqual(bin(spec, [], [0, 1, 2, 3, 4, 6, 7]), [1, 1, 1, 0, 1, 1]);
});

Deno.test("roihist: rows of width ids from each left edge, shape [width, rows]", () => {
  const spec: HistogramSpec = { ...base, type: "roihist", width: 3, leftEdges: [7, 12] };
  assert.deepEqual(bin(spec, [], [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 14]), [1, 1, 1, 1, 1, 2]);
});

Deno.test("hist2d: TOF × id, shape [n_tof, n_det], upper ends inclusive", () => {
  const spec: HistogramSpec = { ...base, type: "hist2d", tofRange: [0, 10], detRange: [0, 4], numBins: [2, 2] };
  assert.deepEqual(bin(spec, [0, 10, 5, 4, 11, 4], [0, 4, 2, 1, 0, 3]), [2, 1, 0, 2]);
});

Deno.test("commands: just-bin-it's defaults, interval, and refusals", () => {
  const h = {
    type: "hist1d",
    data_brokers: ["b:9092"],
    data_topics: ["t"],
    topic: "o",
    tof_range: [0, 1],
    num_bins: 2,
  };
  const c = parseCommand(JSON.stringify({ cmd: "config", interval: 5, histograms: [h] }), 1000);
  assert.ok(c.cmd === "config");
  assert.deepEqual([c.start, c.stop, c.input, c.output], [1000, 6000, "ev42", "hs01"]);
  assert.deepEqual(parseCommand('{"cmd": "stop", "msg_id": 7}', 0), { cmd: "stop", msgId: "7" });
  const refused = (body: unknown, reason: RegExp) =>
    assert.throws(
      () => parseCommand(JSON.stringify(body), 0),
      (e) => e instanceof CommandError && reason.test(e.message),
    );
  refused({ cmd: "config", stop: 1, interval: 1, histograms: [] }, /interval/);
  refused({ cmd: "config", interval: -1, histograms: [] }, /interval/);
  refused({ cmd: "config", output_schema: "hs02", histograms: [] }, /output schema/);
  refused({ cmd: "config", start: 10, stop: 5, histograms: [] }, /before start/);
  refused({ cmd: "config", histograms: [{ ...h, type: "roihist", width: 3, left_edges: [7, 9] }] }, /overlap/);
  refused({ cmd: "config", histograms: [{ ...h, num_bins: [2, 2] }] }, /num_bins/);
  refused({ cmd: "config", histograms: [{ ...h, data_topics: [] }] }, /data_topics/);
  refused(
    { cmd: "config", histograms: [{ ...h, type: "dethist", det_range: [1, 2], width: 1e5, height: 1e5 }] },
    /bins/,
  );
});

Deno.test("hs01/da00 int64 counts are exact above 2^32", () => {
  const counts = Float64Array.from([0, 1, 2 ** 32 + 5, 2 ** 53 - 1]);
  const h: Histogram = {
    spec: { ...base, type: "hist1d", tofRange: [0, 4], numBins: [4] },
    shape: [4],
    axes: [{ name: "tof", edges: linearEdges(0, 4, 4), unit: "ns" }],
    float: false,
    add: () => 0,
    counts: () => counts,
    reset: () => {},
  };
  const info = { id: "", state: "COUNTING" as const, last_pulse_time: 0n, sum: 0, diff: 0, rate: 0 };
  const m = hs01.decode(histogramMessage("hs01", h, info, 1n));
  assert.ok(m.data_type === "ArrayLong");
  assert.deepEqual(Array.from(m.data.value!), [0n, 1n, 2n ** 32n + 5n, 2n ** 53n - 1n]);
  const d = da00.decode(histogramMessage("da00", h, info, 1n));
  const signal = d.data.find((v) => v.name === "signal")!;
  assert.deepEqual(Array.from(new BigInt64Array(signal.data.slice().buffer)), [0n, 1n, 2n ** 32n + 5n, 2n ** 53n - 1n]);
});
