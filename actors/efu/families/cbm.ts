/**
 * The beam monitor family (CBM, type 0x10; reference `modules/cbm/readout/Parser.cpp`): 20-byte readouts from 0D,
 * 2D and integrating (IBM) beam monitors, one ev44 source per configured monitor.
 *
 * Readout: FiberId u8, FENId u8, DataLength u16 (= 20), TimeHigh u32, TimeLow u32, Type u8 (1 = EVENT_0D,
 * 2 = EVENT_2D, 3 = IBM), Channel u8, ADC u16, then XPos u16 + YPos u16 (2D) or a 3-byte summed ADC + 1-byte MCASum
 * (IBM). The payload must be a whole number of readouts, else nothing is parsed (`parser.readout.error_size`). A bad
 * readout is counted and skipped (unlike the reference, which re-examines it).
 *
 * Pixels: EVENT_0D → the monitor's `offset`; EVENT_2D → y·width + x + 1 + offset; IBM → the summed ADC (divided by
 * MCASum when `normalise`) in the ev44 `pixel_id` field.
 *
 * Config (`geometry` section): `type` (0x10), `monitors`: a list of `{ring, fen, channel, kind: "0D"|"2D"|"IBM",
 * source, offset, width, height, normalise}` (width/height for 2D only).
 *
 * @module
 */
import type { EventSink, Family, FamilyInstance } from "./registry.ts";

/** One beam monitor. */
export interface Monitor {
  ring: number;
  fen: number;
  channel: number;
  kind: "0D" | "2D" | "IBM";
  source: string;
  offset: number;
  width: number;
  height: number;
  normalise: boolean;
}

/** The beam monitor config. */
export interface CbmConfig {
  type: number;
  monitors: Monitor[];
}

const READOUT = 20;
const KIND_CODE = { "0D": 1, "2D": 2, "IBM": 3 } as const;

const COUNTERS = [
  "parser.readout.header.count",
  "parser.readout.count",
  "parser.readout.error_size",
  "parser.readout.error_datlen_invalid",
  "parser.readout.error_ringfen",
  "parser.readout.error_type",
  "geometry.topology_errors",
  "geometry.pixel_errors",
];

function checkMonitor(m: Partial<Monitor>, where: string): Monitor {
  const full = { offset: 0, width: 1, height: 1, normalise: false, ...m } as Monitor;
  for (const key of ["ring", "fen", "channel", "offset", "width", "height"] as const) {
    if (!Number.isInteger(full[key]) || full[key] < 0) {
      throw new RangeError(`Cannot use ${where}.${key}: must be an integer ≥ 0, got ${JSON.stringify(full[key])}`);
    }
  }
  if (full.ring > 11 || full.fen > 23 || full.channel > 255) {
    throw new RangeError(`Cannot use ${where}: ring ≤ 11, fen ≤ 23, channel ≤ 255`);
  }
  if (!(full.kind in KIND_CODE)) {
    throw new RangeError(`Cannot use ${where}.kind: must be 0D, 2D or IBM, got ${JSON.stringify(full.kind)}`);
  }
  if (typeof full.source !== "string" || !full.source) {
    throw new TypeError(`Cannot use ${where}.source: must be a non-empty string`);
  }
  if (full.kind === "0D" && full.offset < 1) {
    throw new RangeError(`Cannot use ${where}.offset: a 0D monitor's pixel id, must be ≥ 1`);
  }
  if (full.kind === "2D" && !(full.width >= 1 && full.height >= 1 && full.width * full.height < 2 ** 30)) {
    throw new RangeError(`Cannot use ${where}.width/height: must be ≥ 1 and small enough for int32 pixel ids`);
  }
  return full;
}

function create(c: CbmConfig, where: string): FamilyInstance {
  if (!Number.isInteger(c.type) || c.type < 0 || c.type > 255) {
    throw new RangeError(`Cannot use ${where}.type: must be a byte, got ${c.type}`);
  }
  if (c.monitors.length === 0) throw new RangeError(`Cannot use ${where}.monitors: at least one monitor is needed`);
  const monitors = c.monitors.map((m, i) => checkMonitor(m, `${where}.monitors[${i}]`));
  const byKey = new Map<number, number>();
  monitors.forEach((m, i) => {
    const key = (m.ring << 16) | (m.fen << 8) | m.channel;
    if (byKey.has(key)) throw new RangeError(`Cannot use ${where}.monitors[${i}]: same ring/fen/channel as another`);
    byKey.set(key, i);
  });
  const maxPixel = Math.max(...monitors.map((m) => m.kind === "2D" ? m.offset + m.width * m.height : m.offset));

  return {
    type: c.type,
    readoutBytes: READOUT,
    sources: monitors.map((m) => m.source),
    counterNames: COUNTERS,
    maxPixel,
    parse(data, view, offset, counters, sink: EventSink) {
      if ((data.length - offset) % READOUT !== 0) return void counters["parser.readout.error_size"]++;
      for (let at = offset; at < data.length; at += READOUT) {
        counters["parser.readout.header.count"]++;
        if (view.getUint16(at + 2, true) !== READOUT) {
          counters["parser.readout.error_datlen_invalid"]++;
          continue;
        }
        const fiber = data[at];
        const fen = data[at + 1];
        if (fiber > 23 || fen > 23) {
          counters["parser.readout.error_ringfen"]++;
          continue;
        }
        counters["parser.readout.count"]++;
        const index = byKey.get(((fiber >> 1) << 16) | (fen << 8) | data[at + 13]);
        if (index === undefined) {
          counters["geometry.topology_errors"]++;
          continue;
        }
        const m = monitors[index];
        if (data[at + 12] !== KIND_CODE[m.kind]) {
          counters["parser.readout.error_type"]++;
          continue;
        }
        let pixel = m.offset;
        if (m.kind === "2D") {
          const x = view.getUint16(at + 16, true);
          const y = view.getUint16(at + 18, true);
          pixel = x < m.width && y < m.height ? y * m.width + x + 1 + m.offset : 0;
        } else if (m.kind === "IBM") {
          const sum = view.getUint32(at + 16, true) & 0xffffff;
          const n = data[at + 19];
          pixel = m.normalise ? (n > 0 ? Math.floor(sum / n) : 0) : sum;
        }
        if (pixel === 0 && m.kind !== "IBM") counters["geometry.pixel_errors"]++;
        else sink(index, view.getUint32(at + 4, true), view.getUint32(at + 8, true), pixel);
      }
    },
    write(view, offset, pixel, high, low) {
      const index = monitors.findIndex((m) =>
        m.kind === "2D" ? pixel > m.offset && pixel <= m.offset + m.width * m.height : m.offset === pixel
      );
      if (index < 0 || monitors[index].kind === "IBM") return false;
      const m = monitors[index];
      const p = pixel - m.offset - 1;
      view.setUint8(offset, m.ring * 2);
      view.setUint8(offset + 1, m.fen);
      view.setUint16(offset + 2, READOUT, true);
      view.setUint32(offset + 4, high, true);
      view.setUint32(offset + 8, low, true);
      view.setUint8(offset + 12, KIND_CODE[m.kind]);
      view.setUint8(offset + 13, m.channel);
      view.setUint16(offset + 14, 0, true);
      view.setUint16(offset + 16, m.kind === "2D" ? p % m.width : 0, true);
      view.setUint16(offset + 18, m.kind === "2D" ? Math.floor(p / m.width) : 0, true);
      return true;
    },
  };
}

/** The beam monitor family. */
export const cbm: Family<CbmConfig> = {
  name: "cbm",
  summary: "beam monitors (CBM 20-byte readouts: 0D, 2D, IBM)",
  defaults: {
    type: 0x10,
    monitors: [{
      ring: 0,
      fen: 0,
      channel: 0,
      kind: "0D",
      source: "cbm0",
      offset: 1,
      width: 1,
      height: 1,
      normalise: false,
    }],
  },
  create,
};
