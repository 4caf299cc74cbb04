/**
 * Histogrammer binning speed, events per second on one core, for hist1d (500 TOF bins), hist2d (100 TOF × 64 id
 * bins) and dethist (128 × 128 pixels), each against two anchors measured in the same run on the same events:
 * a plain typed-array loop in TypeScript (`bins[(x - lo) * scale | 0]++` with a range check, no edge correction) and
 * numpy (`numpy.histogram`, `numpy.histogram2d`, and `numpy.histogram` over the pixel range for dethist) in the
 * project's Python venv. Goal: ≥ 3e7 events/s per core for hist1d and dethist, and ≥ 1× numpy.
 * Prints one JSON line per figure.
 *
 * Usage: deno run -A scripts/bench/histogrammer.ts [--events N] [--rounds R]
 */
import { parseArgs } from "node:util";
import type { HistogramSpec } from "../../protocols/histogrammer.ts";
import { createHistogram } from "../../actors/histogrammer/histograms.ts";
import { ensureVenv, SCHEMA_TOOLS } from "../python_venv.ts";
import { report } from "./support/report.ts";

const { values } = parseArgs({ args: Deno.args, options: { events: { type: "string" }, rounds: { type: "string" } } });
const N = Number(values.events ?? 5_000_000);
const ROUNDS = Number(values.rounds ?? 5);
const TOF_MAX = 71_000_000, PIXELS = 128 * 128;

// seeded events: TOF spread over the frame, ids over the detector and a little beyond
let seed = 12345;
const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const tof = new Int32Array(N), det = new Int32Array(N);
for (let i = 0; i < N; i++) {
  tof[i] = Math.floor(next() * TOF_MAX);
  det[i] = 1 + Math.floor(next() * (PIXELS + 100));
}

const base = { dataBrokers: ["b:9092"], dataTopics: ["t"], topic: "o", source: "", id: "" };
const SPECS: Record<string, HistogramSpec> = {
  hist1d: { ...base, type: "hist1d", tofRange: [0, TOF_MAX], numBins: [500] },
  hist2d: { ...base, type: "hist2d", tofRange: [0, TOF_MAX], detRange: [1, PIXELS], numBins: [100, 64] },
  dethist: { ...base, type: "dethist", detRange: [1, PIXELS], width: 128, height: 128 },
};

/** Best events/s over the rounds. */
function best(run: () => void): number {
  run(); // warm-up
  let fastest = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - t0);
  }
  return N / (fastest / 1000);
}

/** The anchor loops: the simplest typed-array binning of each type, without numpy's edge correction. */
const PLAIN: Record<string, () => void> = {
  hist1d: () => {
    const bins = new Float64Array(500), scale = 500 / TOF_MAX;
    for (let i = 0; i < N; i++) {
      const x = tof[i];
      if (x >= 0 && x < TOF_MAX) bins[(x * scale) | 0]++;
    }
  },
  hist2d: () => {
    const bins = new Float64Array(100 * 64), ts = 100 / TOF_MAX, ds = 64 / (PIXELS - 1);
    for (let i = 0; i < N; i++) {
      const x = tof[i], y = det[i] - 1;
      if (x >= 0 && x < TOF_MAX && y >= 0 && y < PIXELS - 1) bins[((x * ts) | 0) * 64 + ((y * ds) | 0)]++;
    }
  },
  dethist: () => {
    const bins = new Float64Array(PIXELS);
    for (let i = 0; i < N; i++) {
      const k = det[i] - 1;
      if (k >= 0 && k < PIXELS) bins[k]++;
    }
  },
};

const NUMPY = `
import sys, time, numpy as np
tof = np.fromfile(sys.argv[1], dtype=np.int32); det = np.fromfile(sys.argv[2], dtype=np.int32)
runs = {
  "hist1d": lambda: np.histogram(tof, bins=500, range=(0, ${TOF_MAX})),
  "hist2d": lambda: np.histogram2d(tof, det, bins=[100, 64], range=[(0, ${TOF_MAX}), (1, ${PIXELS})]),
  "dethist": lambda: np.histogram(det, bins=${PIXELS}, range=(1, ${PIXELS + 1})),
}
for name, run in runs.items():
  run()
  fastest = min((lambda t0: (run(), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(${ROUNDS}))
  print(name, len(tof) / fastest)
`;

async function numpyRates(): Promise<Record<string, number>> {
  const python = await ensureVenv(SCHEMA_TOOLS);
  const dir = await Deno.makeTempDir({ prefix: "nxflow-bench-hist-" });
  try {
    await Deno.writeFile(`${dir}/tof.bin`, new Uint8Array(tof.buffer));
    await Deno.writeFile(`${dir}/det.bin`, new Uint8Array(det.buffer));
    const out = await new Deno.Command(python, { args: ["-c", NUMPY, `${dir}/tof.bin`, `${dir}/det.bin`] }).output();
    if (!out.success) throw new Error(`numpy failed: ${new TextDecoder().decode(out.stderr)}`);
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => l.split(" "));
    return Object.fromEntries(lines.map(([name, rate]) => [name, Number(rate)]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const numpy = await numpyRates();
for (const [name, spec] of Object.entries(SPECS)) {
  const h = createHistogram(spec);
  const ours = best(() => {
    h.reset();
    h.add(tof, det, N);
  });
  const plain = best(PLAIN[name]);
  const goal = name === "hist2d" ? "≥ 1× numpy" : "≥ 3e7 events/s per core and ≥ 1× numpy";
  const met = ours >= numpy[name] && (name === "hist2d" || ours >= 3e7);
  const figure = `${name}_events_per_s_per_core`;
  const common = { bench: "histogrammer", figure, value: ours, unit: "events/s" };
  report({
    ...common,
    anchor: `numpy ${name === "hist2d" ? "histogram2d" : "histogram"}`,
    anchorValue: numpy[name],
    goal,
    met,
  });
  report({ ...common, anchor: "plain typed-array loop (TypeScript)", anchorValue: plain });
}
