/**
 * Data messages and the nexus_structure used by the file writer's end-to-end tests, built with the project's codecs.
 */
import { ev44 } from "../../schemas/ev44/codec.ts";
import { f144 } from "../../schemas/f144/codec.ts";

/** Nanoseconds of a millisecond time. */
export const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;

/** One ev44 message: one pulse at `pulseMs` with the given times of flight and pixel ids. */
export function events(source: string, id: number, pulseMs: number, tof: number[], pixels: number[]): Uint8Array {
  return ev44.encode({
    source_name: source,
    message_id: BigInt(id),
    reference_time: BigInt64Array.of(ns(pulseMs)),
    reference_time_index: Int32Array.of(0),
    time_of_flight: Int32Array.from(tof),
    pixel_id: Int32Array.from(pixels),
  });
}

/** One f144 double value at `ms`. */
export function value(source: string, ms: number, v: number): Uint8Array {
  return f144.encode({ source_name: source, timestamp: ns(ms), value_type: "Double", value: { value: v } });
}

/**
 * The reference's realistic structure: an entry with a title, start and end time, events, a temperature log and a link.
 */
export function loki(topics: { events: string; motion: string }): unknown {
  return {
    children: [{
      type: "group",
      name: "entry",
      attributes: { NX_class: "NXentry" },
      children: [
        { module: "mdat", config: { items: ["start_time", "end_time"] } },
        { module: "dataset", config: { name: "title", values: "Loki commissioning", dtype: "string" } },
        {
          type: "group",
          name: "instrument",
          attributes: { NX_class: "NXinstrument" },
          children: [
            {
              type: "group",
              name: "detector_events",
              children: [{ module: "ev44", config: { topic: topics.events, source: "loki_det0" } }],
            },
            {
              type: "group",
              name: "sample_temperature",
              attributes: { NX_class: "NXlog" },
              children: [{
                module: "f144",
                config: { topic: topics.motion, source: "SE:TEMP:01", dtype: "double", value_units: "K" },
              }],
            },
          ],
        },
        {
          type: "group",
          name: "data",
          attributes: { NX_class: "NXdata" },
          children: [{ module: "link", config: { name: "events", source: "../instrument/detector_events" } }],
        },
      ],
    }],
  };
}
