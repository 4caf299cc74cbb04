/**
 * The four histogram types of just-bin-it, with its bin conventions (reference: operations-and-live-view.md §2.3–2.4),
 * binning typed arrays of events in tight loops with no allocation per event:
 *
 * - **hist1d**: time of flight, `numpy.histogram(tof, range=tof_range, bins=n)`: edges `linspace(lo, hi, n+1)`, bins
 *   half-open except the last, which includes `hi`; with `det_range` only events whose id is in it (both ends
 *   inclusive) count.
 * - **hist2d**: `numpy.histogram2d(tof, id, range=(tof_range, det_range), bins=[n_tof, n_det])`, shape
 *   `[n_tof, n_det]`.
 * - **dethist**: ids `lo … lo + width·height − 1` (the upper end excluded), `i = id − lo`, x = i mod width,
 *   y = ⌊i / width⌋; published with shape `[width, height]` (x is the slow axis), as just-bin-it does.
 * - **roihist**: rows of `width` ids starting at each of `left_edges`; shape `[width, rows]`.
 *
 * A bin index is estimated as `⌊(x − lo) · n / (hi − lo)⌋` (one multiplication) and corrected by one step against the
 * float64 edges, as numpy corrects its own estimate, so every event lands in the bin whose edges hold it, the bin numpy
 * puts it in, edges that are not whole numbers included.
 *
 * @module
 */
import type { HistogramSpec } from "../../protocols/histogrammer.ts";

/** Event arrays as the schemas decode them (ev44: Int32Array, ev42: Uint32Array). */
export type Values = Int32Array | Uint32Array;

/** One axis of a histogram as published. */
export interface Axis {
  /** the axis name in da00 (`tof`, `detector_id`, `x`, `y`). */
  name: string;
  /** the bin boundaries (n+1 values; roihist: n, as just-bin-it publishes them). */
  edges: Float64Array;
  unit: string;
}

/** A histogram: counts events, and gives its counts in just-bin-it's layout. */
export interface Histogram {
  readonly spec: HistogramSpec;
  /** the published shape (C order). */
  readonly shape: number[];
  readonly axes: Axis[];
  /** whether just-bin-it publishes float64 (hist2d, hist1d with det_range) rather than int64. */
  readonly float: boolean;
  /** Counts the events `[0, n)`; `det` may be absent for hist1d without `det_range`. Returns the events counted. */
  add(tof: Values, det: Values | undefined, n: number): number;
  /** The counts, flat in the published shape's C order. */
  counts(): Float64Array;
  reset(): void;
}

/** numpy's bin edges for `histogram(range=(lo, hi), bins=n)`: `linspace` in float64, the last edge exactly `hi`. */
export function linearEdges(lo: number, hi: number, n: number): Float64Array {
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5]; // numpy widens an empty range
  const edges = new Float64Array(n + 1);
  const step = (hi - lo) / n;
  for (let k = 0; k < n; k++) edges[k] = k * step + lo;
  edges[n] = hi;
  return edges;
}

/** A linear axis: its edges and what the kernels need to find a bin. */
class Linear {
  readonly edges: Float64Array;
  readonly lo: number;
  readonly hi: number;
  /** bins per unit: n / (hi − lo). */
  readonly scale: number;
  constructor(lo: number, hi: number, readonly n: number) {
    this.edges = linearEdges(lo, hi, n);
    this.lo = this.edges[0];
    this.hi = this.edges[n];
    this.scale = n / (this.hi - this.lo);
  }
}

/** Builds the histogram a checked spec describes. */
export function createHistogram(spec: HistogramSpec): Histogram {
  switch (spec.type) {
    case "hist1d":
      return new Hist1d(spec);
    case "hist2d":
      return new Hist2d(spec);
    case "dethist":
      return new DetHist(spec);
    case "roihist":
      return new RoiHist(spec);
  }
}

/** TOF histogram (optionally only events whose id is in `det_range`). */
class Hist1d implements Histogram {
  readonly shape: number[];
  readonly axes: Axis[];
  readonly float: boolean;
  #bins: Float64Array;
  #tof: Linear;
  constructor(readonly spec: HistogramSpec) {
    const n = spec.numBins![0];
    this.#tof = new Linear(spec.tofRange![0], spec.tofRange![1], n);
    this.#bins = new Float64Array(n);
    this.shape = [n];
    this.axes = [{ name: "tof", edges: this.#tof.edges, unit: "ns" }];
    this.float = spec.detRange !== undefined;
  }
  add(tof: Values, det: Values | undefined, n: number): number {
    const bins = this.#bins, edges = this.#tof.edges, nb = this.#tof.n, last = nb - 1;
    const lo = this.#tof.lo, hi = this.#tof.hi, scale = this.#tof.scale;
    const dl = this.spec.detRange?.[0] ?? -Infinity, dh = this.spec.detRange?.[1] ?? Infinity;
    const filter = this.spec.detRange !== undefined;
    let counted = 0;
    for (let i = 0; i < n; i++) {
      const x = tof[i];
      if (x < lo || x > hi) continue;
      if (filter) {
        const d = det![i];
        if (d < dl || d > dh) continue;
      }
      let b = ((x - lo) * scale) | 0;
      if (b > last) b = last;
      if (x < edges[b]) b--;
      else if (b < last && x >= edges[b + 1]) b++;
      bins[b]++;
      counted++;
    }
    return counted;
  }
  counts(): Float64Array {
    return this.#bins.slice();
  }
  reset(): void {
    this.#bins.fill(0);
  }
}

/** TOF × detector id. */
class Hist2d implements Histogram {
  readonly shape: number[];
  readonly axes: Axis[];
  readonly float = true;
  #bins: Float64Array;
  #tof: Linear;
  #det: Linear;
  constructor(readonly spec: HistogramSpec) {
    const [nt, nd] = spec.numBins!;
    this.#tof = new Linear(spec.tofRange![0], spec.tofRange![1], nt);
    this.#det = new Linear(spec.detRange![0], spec.detRange![1], nd);
    this.#bins = new Float64Array(nt * nd);
    this.shape = [nt, nd];
    this.axes = [
      { name: "tof", edges: this.#tof.edges, unit: "ns" },
      { name: "detector_id", edges: this.#det.edges, unit: "" },
    ];
  }
  add(tof: Values, det: Values | undefined, n: number): number {
    const bins = this.#bins;
    const te = this.#tof.edges, tn = this.#tof.n, tLast = tn - 1, tlo = this.#tof.lo, thi = this.#tof.hi;
    const ts = this.#tof.scale;
    const de = this.#det.edges, dn = this.#det.n, dLast = dn - 1, dlo = this.#det.lo, dhi = this.#det.hi;
    const ds = this.#det.scale;
    let counted = 0;
    for (let i = 0; i < n; i++) {
      const x = tof[i], y = det![i];
      if (x < tlo || x > thi || y < dlo || y > dhi) continue;
      let a = ((x - tlo) * ts) | 0;
      if (a > tLast) a = tLast;
      if (x < te[a]) a--;
      else if (a < tLast && x >= te[a + 1]) a++;
      let b = ((y - dlo) * ds) | 0;
      if (b > dLast) b = dLast;
      if (y < de[b]) b--;
      else if (b < dLast && y >= de[b + 1]) b++;
      bins[a * dn + b]++;
      counted++;
    }
    return counted;
  }
  counts(): Float64Array {
    return this.#bins.slice();
  }
  reset(): void {
    this.#bins.fill(0);
  }
}

/** Pixel map: `width × height` ids from `det_range[0]`. */
class DetHist implements Histogram {
  readonly shape: number[];
  readonly axes: Axis[];
  readonly float = true;
  /** counts by pixel index `id − lo` (y·width + x). */
  #pixels: Float64Array;
  constructor(readonly spec: HistogramSpec) {
    const w = spec.width!, h = spec.height!;
    this.#pixels = new Float64Array(w * h);
    this.shape = [w, h];
    this.axes = [
      { name: "x", edges: linearEdges(0, w, w), unit: "" },
      { name: "y", edges: linearEdges(0, h, h), unit: "" },
    ];
  }
  add(_tof: Values, det: Values | undefined, n: number): number {
    const pixels = this.#pixels, lo = this.spec.detRange![0], size = pixels.length;
    let counted = 0;
    for (let i = 0; i < n; i++) {
      const k = det![i] - lo;
      if (k >= 0 && k < size) {
        pixels[k]++;
        counted++;
      }
    }
    return counted;
  }
  /** The counts as just-bin-it publishes them: shape [width, height], flat index x·height + y. */
  counts(): Float64Array {
    const w = this.spec.width!, h = this.spec.height!, out = new Float64Array(w * h), p = this.#pixels;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x * h + y] = p[y * w + x];
    return out;
  }
  /** The counts as an image: shape [height, width], flat index y·width + x (the pixel order). */
  image(): Float64Array {
    return this.#pixels.slice();
  }
  reset(): void {
    this.#pixels.fill(0);
  }
}

/** Whether a histogram is a pixel map (da00 publishes it as an image). */
export function isDetHist(h: Histogram): h is DetHist {
  return h instanceof DetHist;
}

/** Region of interest: rows of `width` ids starting at each of `left_edges`. */
class RoiHist implements Histogram {
  readonly shape: number[];
  readonly axes: Axis[];
  readonly float = true;
  #bins: Float64Array;
  /** output index by `id − first`, −1 outside the rows. */
  #lut: Int32Array;
  #first: number;
  constructor(readonly spec: HistogramSpec) {
    const w = spec.width!, edges = spec.leftEdges!, rows = edges.length;
    this.#first = edges[0];
    this.#lut = new Int32Array(edges[rows - 1] + w - this.#first).fill(-1);
    for (let r = 0; r < rows; r++) {
      for (let x = 0; x < w; x++) this.#lut[edges[r] + x - this.#first] = x * rows + r;
    }
    this.#bins = new Float64Array(w * rows);
    this.shape = [w, rows];
    // just-bin-it's quirk: n boundaries, not n + 1
    this.axes = [
      { name: "x", edges: Float64Array.from({ length: w }, (_, i) => i), unit: "" },
      { name: "y", edges: Float64Array.from({ length: rows }, (_, i) => i), unit: "" },
    ];
  }
  add(_tof: Values, det: Values | undefined, n: number): number {
    const lut = this.#lut, bins = this.#bins, first = this.#first, size = lut.length;
    let counted = 0;
    for (let i = 0; i < n; i++) {
      const k = det![i] - first;
      if (k < 0 || k >= size) continue;
      const o = lut[k];
      if (o >= 0) {
        bins[o]++;
        counted++;
      }
    }
    return counted;
  }
  counts(): Float64Array {
    return this.#bins.slice();
  }
  reset(): void {
    this.#bins.fill(0);
  }
}
