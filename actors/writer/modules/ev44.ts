/**
 * Writer module "ev44": neutron events into NXevent_data, as kafka-to-nexus's ev44 writer does.
 *
 * Datasets (all chunked by `chunk_size` elements, default 1,048,576):
 * - `event_time_offset` (int32, units "ns") ← `time_of_flight`; `event_id` (int32) ← `pixel_id` (may be empty; a
 *   length mismatch is written as it is);
 * - `event_time_zero` (uint64 ns) ← every `reference_time`, and `event_index` (int64) ← `reference_time_index[i]` +
 *   events written before the message; only for messages with events (pulses without events add nothing);
 * - `cue_index` / `cue_timestamp_zero`: after a message, when more than `cue_interval` (default 100,000,000) events
 *   were written since the last cue: the index of the last event and its time (last reference time + last time of
 *   flight).
 *
 * @module
 */
import type { Event44Message } from "../../../schemas/ev44/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import type { AppendSpec } from "../hdf/append.ts";
import { intOption } from "./common.ts";
import { cueSpecs, DatasetsModule, resumedState, stateNumber, TIME_ATTRS } from "./datasets.ts";
import { type Json, type ModuleInit, ModuleWriteError, type WriterModuleType } from "./module.ts";

/** The six datasets of NXevent_data with their types, chunked by `chunkRows`. */
export function eventSpecs(chunkRows: number): Record<string, AppendSpec> {
  return {
    event_time_offset: { dtype: "int32", chunkRows, attrs: { units: "ns" } },
    event_id: { dtype: "int32", chunkRows },
    event_time_zero: { dtype: "uint64", chunkRows, attrs: TIME_ATTRS },
    event_index: { dtype: "int64", chunkRows },
    ...cueSpecs(chunkRows),
  };
}

const EMPTY = new Int32Array(0);

class Ev44Writer extends DatasetsModule {
  readonly #cueInterval: number;
  /** events (time-of-flight entries) written so far. */
  #events: number;
  #lastCue: number;

  constructor(init: ModuleInit) {
    const cueInterval = intOption(init.config, "cue_interval", 100_000_000, 0);
    super(init, eventSpecs(intOption(init.config, "chunk_size", 1_048_576)));
    this.#cueInterval = cueInterval;
    const state = resumedState(init);
    this.#events = stateNumber(state, "events", 0);
    this.#lastCue = stateNumber(state, "lastCueIndex", 0);
  }

  write(message: DecodedTable): number {
    const m = message as Event44Message;
    const tof = m.time_of_flight ?? EMPTY;
    const n = tof.length;
    if (n > 0 && m.reference_time.length === 0) throw new ModuleWriteError("ev44 message has events but no pulse");
    let bytes = this.d.get("event_time_offset").append(tof) + this.d.get("event_id").append(m.pixel_id ?? EMPTY);
    if (n === 0) return bytes;
    bytes += this.d.get("event_time_zero").append(m.reference_time);
    const index = new BigInt64Array(m.reference_time_index.length);
    for (let i = 0; i < index.length; i++) index[i] = BigInt(m.reference_time_index[i] + this.#events);
    bytes += this.d.get("event_index").append(index);
    this.#events += n;
    if (this.#events > this.#lastCue + this.#cueInterval) {
      const last = m.reference_time[m.reference_time.length - 1] + BigInt(tof[n - 1]);
      bytes += this.d.get("cue_timestamp_zero").append([last]);
      bytes += this.d.get("cue_index").append([BigInt(this.#events - 1)]);
      this.#lastCue = this.#events - 1;
    }
    return bytes;
  }

  protected override state(): Json {
    return { events: this.#events, lastCueIndex: this.#lastCue };
  }
}

/** The ev44 writer module type. */
export const ev44Module: WriterModuleType = {
  id: "ev44",
  schema: "ev44",
  nxClass: "NXevent_data",
  acceptsRepeatedTimestamps: true,
  writesLastKnownValue: false,
  configKeys: ["cue_interval", "chunk_size"],
  open: (init) => new Ev44Writer(init),
};
