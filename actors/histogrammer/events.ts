/**
 * The events of one data message, decoded once for every histogram of its input: ev44 (`time_of_flight`,
 * `pixel_id`, pulse time = the first `reference_time`) or ev42 (`time_of_flight`, `detector_id`, `pulse_time`).
 *
 * @module
 */
import type { InputSchema } from "../../protocols/histogrammer.ts";
import { ev42 } from "../../schemas/ev42/codec.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import type { Values } from "./histograms.ts";

/** The parts of an event message the histograms use. */
export interface Events {
  source: string;
  tof: Values;
  /** may be shorter than `tof` (empty in monitor messages): histograms of ids count only events that have one. */
  det: Values;
  /** ns since the epoch (exact); 0 when the message has none. */
  pulseNs: bigint;
}

const EMPTY = new Int32Array(0);

/** Decodes one data message; throws (the schemas' `BadBufferError`) for anything that is not `schema`. */
export function decodeEvents(schema: InputSchema, bytes: Uint8Array): Events {
  if (schema === "ev44") {
    const m = ev44.decode(bytes);
    const tof = m.time_of_flight ?? EMPTY, det = m.pixel_id ?? EMPTY;
    const pulse = m.reference_time.length ? m.reference_time[0] : 0n;
    return { source: m.source_name, tof, det, pulseNs: pulse };
  }
  const m = ev42.decode(bytes);
  const tof = m.time_of_flight ?? new Uint32Array(0), det = m.detector_id ?? new Uint32Array(0);
  return { source: m.source_name ?? "", tof, det, pulseNs: m.pulse_time };
}
