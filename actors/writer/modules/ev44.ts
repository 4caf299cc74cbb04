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
 * The writing of events, pulses and cues is {@linkcode EventWriter}, which ev42 reuses with its own fields.
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
function eventSpecs(chunkRows: number): Record<string, AppendSpec> {
  return {
    event_time_offset: { dtype: "int32", chunkRows, attrs: { units: "ns" } },
    event_id: { dtype: "int32", chunkRows },
    event_time_zero: { dtype: "uint64", chunkRows, attrs: TIME_ATTRS },
    event_index: { dtype: "int64", chunkRows },
    ...cueSpecs(chunkRows),
  };
}

/** The events and pulses of one message, as the event datasets take them. */
export interface EventRows {
  /** each event's time of flight (ns) → `event_time_offset`. */
  timeOfFlight: ArrayLike<number>;
  /** each event's detector (pixel) id → `event_id`. */
  ids: ArrayLike<number>;
  /** each pulse's time (ns) → `event_time_zero`. */
  pulseTimes: ArrayLike<bigint>;
  /** each pulse's first event in the message → `event_index` (after the events written before). */
  pulseIndex: ArrayLike<number>;
}

/**
 * The base of ev44 and ev42: the six event datasets, chunked by `chunk_size` elements (default 1,048,576), the count
 * of events written, and the cues: after a message, when more than `cue_interval` events were written since the last
 * cue, the index of the last event and its time (last pulse time + last time of flight). Checkpoint state:
 * `{events, lastCueIndex}`.
 */
export abstract class EventWriter extends DatasetsModule {
  readonly #cueInterval: number;
  /** events (time-of-flight entries) written so far. */
  #events: number;
  #lastCue: number;

  /** Reads `cue_interval` (default `defaultCueInterval`) and `chunk_size`; `extraSpecs` adds datasets chunked alike. */
  constructor(
    init: ModuleInit,
    defaultCueInterval: number,
    extraSpecs: (chunkRows: number) => Record<string, AppendSpec> = () => ({}),
  ) {
    const cueInterval = intOption(init.config, "cue_interval", defaultCueInterval, 0);
    const chunkRows = intOption(init.config, "chunk_size", 1_048_576);
    super(init, { ...eventSpecs(chunkRows), ...extraSpecs(chunkRows) });
    this.#cueInterval = cueInterval;
    const state = resumedState(init);
    this.#events = stateNumber(state, "events", 0);
    this.#lastCue = stateNumber(state, "lastCueIndex", 0);
  }

  /** Appends one message's events and pulses, and a cue when due; returns the bytes written. */
  protected appendEvents(rows: EventRows): number {
    const { timeOfFlight, pulseTimes } = rows;
    const n = timeOfFlight.length;
    let bytes = this.d.get("event_time_offset").append(timeOfFlight) + this.d.get("event_id").append(rows.ids);
    bytes += this.d.get("event_time_zero").append(pulseTimes);
    bytes += this.d.get("event_index").append(BigInt64Array.from(rows.pulseIndex, (i) => BigInt(i + this.#events)));
    this.#events += n;
    if (n > 0 && this.#events > this.#lastCue + this.#cueInterval) {
      this.#lastCue = this.#events - 1;
      bytes += this.d.cue(this.#lastCue, pulseTimes[pulseTimes.length - 1] + BigInt(timeOfFlight[n - 1]));
    }
    return bytes;
  }

  protected override state(): Json {
    return { events: this.#events, lastCueIndex: this.#lastCue };
  }
}

const EMPTY = new Int32Array(0);

class Ev44Writer extends EventWriter {
  constructor(init: ModuleInit) {
    super(init, 100_000_000);
  }

  write(message: DecodedTable): number {
    const m = message as Event44Message;
    const timeOfFlight = m.time_of_flight ?? EMPTY;
    if (timeOfFlight.length > 0 && m.reference_time.length === 0) {
      throw new ModuleWriteError("ev44 message has events but no pulse");
    }
    const pulses = timeOfFlight.length > 0; // pulses without events add nothing
    return this.appendEvents({
      timeOfFlight,
      ids: m.pixel_id ?? EMPTY,
      pulseTimes: pulses ? m.reference_time : [],
      pulseIndex: pulses ? m.reference_time_index : [],
    });
  }
}

/** The ev44 writer module type. */
export const ev44Module: WriterModuleType = {
  id: "ev44",
  schema: "ev44",
  sourceAndTime: (m) => ({ source: m.source_name, time: (m.reference_time as BigInt64Array)[0] }),
  nxClass: "NXevent_data",
  acceptsRepeatedTimestamps: true,
  writesLastKnownValue: false,
  configKeys: ["cue_interval", "chunk_size"],
  open: (init) => new Ev44Writer(init),
};
