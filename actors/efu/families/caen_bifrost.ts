/**
 * The `caen` family as nxflow has it: CAEN 24-byte readouts (LoKI 0x30, BIFROST 0x34, MIRACLES, CSPEC, TBL3HE) with
 * the BIFROST geometry, the only CAEN geometry so far (reference `modules/caen/readout/DataParser.cpp`,
 * `modules/bifrost/geometry/BifrostGeometry.cpp`).
 *
 * Readout: FiberId u8, FENId u8, DataLength u16 (= 24), TimeHigh u32, TimeLow u32, FlagsOM u8, Group u8, Unused u16,
 * AmpA..AmpD u16 (unsigned for BIFROST). Parsing stops at the first readout with a bad size or fibre/FEN id.
 *
 * Geometry (nx = 900, ny = 15): ring = fibre / 2, position = A / (A + B); the calibration `intervals` (one per unit,
 * tube 0..2) map the position to a unit and rescale it to [0, 1]; x = ring·300 + (group mod 3)·100 + ⌊unitpos·99⌋,
 * y = ⌊group / 3⌋·3 + unit, pixel = y·900 + x + 1.
 *
 * Config (`geometry` section): `type` (0x34), `maxRing` (2), `maxFen` (0), `maxAmplitude` (32767), `intervals`
 * ([[0, 0.33], [0.34, 0.66], [0.67, 1]]), `sourceName` ("": one ev44 source per ring × group named
 * `arc=<group/3>;triplet=<ring·3 + group mod 3>`, else every event goes to this one source).
 *
 * @module
 */
import type { EventSink, Family, FamilyInstance } from "./registry.ts";

/** The CAEN/BIFROST geometry config. */
export interface CaenConfig {
  type: number;
  maxRing: number;
  maxFen: number;
  maxAmplitude: number;
  intervals: number[][];
  sourceName: string;
}

const READOUT = 24;
const NX = 900;
const NY = 15;
const GROUPS = 15;
/** Sum A + B the generator writes: fine enough to hit every position bin exactly. */
const GEN_SUM = 30_000;

const COUNTERS = [
  "parser.readout.header.count",
  "parser.readout.count",
  "parser.readout.error_headersize",
  "parser.readout.error_datlen_mismatch",
  "parser.readout.error_datlen_invalid",
  "parser.readout.error_ringfen",
  "parser.readout.error_maxadc",
  "readouts.amplitude_zero",
  "geometry.ring_errors",
  "geometry.fen_errors",
  "geometry.topology_errors",
  "geometry.pixel_errors",
];

function check(c: CaenConfig, where: string): void {
  if (!Number.isInteger(c.type) || c.type < 0 || c.type > 255) {
    throw new RangeError(`Cannot use ${where}.type: must be a byte, got ${c.type}`);
  }
  if (!Number.isInteger(c.maxRing) || c.maxRing < 0 || c.maxRing > 2) {
    throw new RangeError(`Cannot use ${where}.maxRing: BIFROST has rings 0..2, got ${c.maxRing}`);
  }
  if (!Number.isInteger(c.maxFen) || c.maxFen < 0 || c.maxFen > 23) {
    throw new RangeError(`Cannot use ${where}.maxFen: must be 0..23, got ${c.maxFen}`);
  }
  if (!(c.maxAmplitude > 0 && c.maxAmplitude <= 65535)) {
    throw new RangeError(`Cannot use ${where}.maxAmplitude: must be 1..65535, got ${c.maxAmplitude}`);
  }
  const ok = c.intervals.length === 3 &&
    c.intervals.every((iv, i) =>
      Array.isArray(iv) && iv.length === 2 && iv.every((v) => typeof v === "number") && 0 <= iv[0] &&
      iv[0] < iv[1] && iv[1] <= 1 && (i === 0 || iv[0] > c.intervals[i - 1][1])
    );
  if (!ok) {
    throw new RangeError(
      `Cannot use ${where}.intervals: must be 3 increasing, disjoint [lo, hi] pairs within [0, 1], got ${
        JSON.stringify(c.intervals)
      }`,
    );
  }
}

function sourceNames(c: CaenConfig): string[] {
  if (c.sourceName) return [c.sourceName];
  const names: string[] = [];
  for (let ring = 0; ring <= c.maxRing; ring++) {
    for (let group = 0; group < GROUPS; group++) {
      names.push(`arc=${Math.floor(group / 3)};triplet=${ring * 3 + (group % 3)}`);
    }
  }
  return names;
}

function create(c: CaenConfig, where: string): FamilyInstance {
  check(c, where);
  const lo = c.intervals.map((iv) => iv[0]);
  const hi = c.intervals.map((iv) => iv[1]);
  const single = c.sourceName !== "";
  const sources = sourceNames(c);

  /** The pixel of a readout, or 0 (counted) when it has none. */
  function pixelOf(ring: number, group: number, a: number, b: number): number {
    const pos = a / (a + b);
    let unit = 0;
    while (unit < 3 && !(pos >= lo[unit] && pos <= hi[unit])) unit++;
    if (unit === 3) return 0;
    const unitPos = (pos - lo[unit]) / (hi[unit] - lo[unit]);
    const x = ring * 300 + (group % 3) * 100 + Math.floor(unitPos * 99);
    const y = Math.floor(group / 3) * 3 + unit;
    return x < NX && y < NY ? y * NX + x + 1 : 0;
  }

  return {
    type: c.type,
    readoutBytes: READOUT,
    sources,
    counterNames: COUNTERS,
    maxPixel: NX * NY,
    parse(data, view, offset, counters, sink: EventSink) {
      const end = data.length;
      const start = offset;
      let error = "";
      while (offset < end) {
        if (end - offset < 4) error = "parser.readout.error_headersize";
        else if (view.getUint16(offset + 2, true) !== READOUT) error = "parser.readout.error_datlen_invalid";
        else if (end - offset < READOUT) error = "parser.readout.error_datlen_mismatch";
        else if (data[offset] > 23 || data[offset + 1] > 23) error = "parser.readout.error_ringfen";
        if (error) break;
        const at = offset;
        offset += READOUT;
        const ring = data[at] >> 1;
        const group = data[at + 13];
        const a = view.getUint16(at + 16, true);
        const b = view.getUint16(at + 18, true);
        if (ring > c.maxRing) counters["geometry.ring_errors"]++;
        else if (data[at + 1] > c.maxFen) counters["geometry.fen_errors"]++;
        else if (group >= GROUPS) counters["geometry.topology_errors"]++;
        else if (a > c.maxAmplitude || b > c.maxAmplitude) counters["parser.readout.error_maxadc"]++;
        else if (a + b === 0) counters["readouts.amplitude_zero"]++;
        else {
          const pixel = pixelOf(ring, group, a, b);
          if (pixel === 0) counters["geometry.pixel_errors"]++;
          else {
            sink(single ? 0 : ring * GROUPS + group, view.getUint32(at + 4, true), view.getUint32(at + 8, true), pixel);
          }
        }
      }
      const good = (offset - start) / READOUT;
      counters["parser.readout.count"] += good;
      counters["parser.readout.header.count"] += good + (error ? 1 : 0);
      if (error) counters[error]++;
    },
    write(view, offset, pixel, high, low) {
      if (!(pixel >= 1 && pixel <= NX * NY)) return false;
      const y = Math.floor((pixel - 1) / NX);
      const x = (pixel - 1) % NX;
      const ring = Math.floor(x / 300);
      const xPos = x % 100;
      const unit = y % 3;
      const group = Math.floor(y / 3) * 3 + Math.floor((x % 300) / 100);
      if (ring > c.maxRing || xPos === 99) return false;
      const pos = lo[unit] + ((xPos + 0.5) / 99) * (hi[unit] - lo[unit]);
      const a = Math.round(pos * GEN_SUM);
      const b = GEN_SUM - a;
      if (a > c.maxAmplitude || b > c.maxAmplitude) return false;
      view.setUint8(offset, ring * 2);
      view.setUint8(offset + 1, 0);
      view.setUint16(offset + 2, READOUT, true);
      view.setUint32(offset + 4, high, true);
      view.setUint32(offset + 8, low, true);
      view.setUint8(offset + 12, 0);
      view.setUint8(offset + 13, group);
      view.setUint16(offset + 14, 0, true);
      view.setUint16(offset + 16, a, true);
      view.setUint16(offset + 18, b, true);
      view.setUint32(offset + 20, 0, true);
      return pixelOf(ring, group, a, b) === pixel;
    },
  };
}

/** The CAEN family with the BIFROST geometry. */
export const caenBifrost: Family<CaenConfig> = {
  name: "caen",
  summary: "CAEN 24-byte readouts, BIFROST geometry (900 × 15 pixels)",
  defaults: {
    type: 0x34,
    maxRing: 2,
    maxFen: 0,
    maxAmplitude: 32767,
    intervals: [[0, 0.33], [0.34, 0.66], [0.67, 1]],
    sourceName: "",
  },
  create,
};
