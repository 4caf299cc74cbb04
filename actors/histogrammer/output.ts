/**
 * A histogram as an output message: hs01 or hs00 `EventHistogram` as just-bin-it writes it (source "just-bin-it",
 * `current_shape`, `dim_metadata` with the bin boundaries, int64 or float64 data, and the `info` JSON), or da00 as
 * ESS's live clients read it (a `signal` variable with axes, unit "counts" and the histogram id as label, and one
 * bin-edge coordinate per axis, named like its axis). Reference: operations-and-live-view.md §1.4, §2.5.
 *
 * @module
 */
import { da00 } from "../../schemas/da00/codec.ts";
import { hs00 } from "../../schemas/hs00/codec.ts";
import { hs01 } from "../../schemas/hs01/codec.ts";
import type { OutputSchema } from "../../protocols/histogrammer.ts";
import { type Histogram, isDetHist } from "./histograms.ts";

/** just-bin-it's histogram states. */
export type HistogramState = "INITIALISED" | "COUNTING" | "FINISHED" | "ERROR";

/** The `info` JSON of an hs00/hs01 message (just-bin-it's keys). */
export interface HistogramInfo {
  id: string;
  start?: number;
  stop?: number;
  state: HistogramState;
  /** ns: the reference time of the newest message counted (written as an exact JSON integer). */
  last_pulse_time: bigint;
  sum: number;
  diff: number;
  rate: number;
  error_message?: string;
}

/** Serialises a histogram with its info; `nowNs` is the message timestamp. */
export function histogramMessage(
  schema: OutputSchema,
  h: Histogram,
  info: HistogramInfo,
  nowNs: bigint,
): Uint8Array {
  if (schema === "da00") return da00Message(h, nowNs);
  const counts = h.counts();
  const dims = h.axes.map((a) => ({
    length: a.edges.length,
    bin_boundaries_type: "ArrayDouble" as const,
    bin_boundaries: { value: a.edges },
  }));
  const common = { source: "just-bin-it", timestamp: nowNs, dim_metadata: dims, info: infoJson(info) };
  if (schema === "hs00") {
    return h.float
      ? hs00.encode({ ...common, current_shape: h.shape, data_type: "ArrayDouble", data: { value: counts } })
      : hs00.encode({
        ...common,
        current_shape: h.shape,
        data_type: "ArrayULong",
        data: { value: new BigUint64Array(int64(counts).buffer) },
      });
  }
  return h.float
    ? hs01.encode({ ...common, current_shape: h.shape, data_type: "ArrayDouble", data: { value: counts } })
    : hs01.encode({
      ...common,
      current_shape: h.shape,
      data_type: "ArrayLong",
      data: { value: int64(counts) },
    });
}

/** The info as JSON, its 64-bit integers exact. */
export function infoJson(info: HistogramInfo): string {
  return JSON.stringify(info, (_k, v) => typeof v === "bigint" ? `\u0000${v}` : v).replace(/"\\u0000(-?\d+)"/g, "$1");
}

/** Whole counts (below 2^53) as int64, written as two 32-bit halves (no BigInt per bin). */
function int64(counts: Float64Array): BigInt64Array {
  const out = new BigInt64Array(counts.length), words = new Uint32Array(out.buffer);
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    words[2 * i] = c % 4294967296; // little-endian: low word first
    words[2 * i + 1] = Math.floor(c / 4294967296);
  }
  return out;
}

/**
 * da00: `signal` (int64 counts, unit "counts", label = the histogram id) and bin-edge coordinates. A dethist is an
 * image with axes `["y", "x"]` (shape [height, width], pixel order); the others keep just-bin-it's axis order.
 * `source_name` is the histogram id, or "just-bin-it" when it has none.
 */
function da00Message(h: Histogram, nowNs: bigint): Uint8Array {
  const image = isDetHist(h);
  const axes = image ? [h.axes[1], h.axes[0]] : h.axes;
  const shape = image ? [h.shape[1], h.shape[0]] : h.shape;
  const counts = image ? h.image() : h.counts();
  const signal = int64(counts);
  return da00.encode({
    source_name: h.spec.id || "just-bin-it",
    timestamp: nowNs,
    data: [
      {
        name: "signal",
        unit: "counts",
        label: h.spec.id,
        data_type: "int64",
        axes: axes.map((a) => a.name),
        shape: shape.map(BigInt),
        data: new Uint8Array(signal.buffer),
      },
      ...axes.map((a) => ({
        name: a.name,
        unit: a.unit,
        data_type: "float64" as const,
        axes: [a.name],
        shape: [BigInt(a.edges.length)],
        data: new Uint8Array(a.edges.buffer, a.edges.byteOffset, a.edges.byteLength),
      })),
    ],
  });
}
