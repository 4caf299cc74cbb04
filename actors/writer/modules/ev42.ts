/**
 * Writer module "ev42": the older single-pulse event messages into NXevent_data, as kafka-to-nexus's ev42 writer
 * did before its removal (read at `bbed1ce4^`).
 *
 * The six event datasets of ev44 (chunked by `chunk_size` elements, default 1,048,576), per message:
 * `time_of_flight` → `event_time_offset`, `detector_id` → `event_id`, `pulse_time` → `event_time_zero` and the
 * events written before it → `event_index` (one pulse per message, also when it has no events). A cue is written when
 * more than `cue_interval` (default: never) events were written since the last one.
 *
 * With `adc_pulse_debug: true` it also writes `adc_pulse_amplitude`, `adc_pulse_peak_area`, `adc_pulse_background`
 * (uint32) and `adc_pulse_threshold_time`, `adc_pulse_peak_time` (uint64 ns) from the message's AdcPulseDebug data,
 * or zeros for each event when the message has none.
 *
 * @module
 */
import type { EventMessage } from "../../../schemas/ev42/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import type { AppendSpec } from "../hdf/append.ts";
import { boolOption, intOption } from "./common.ts";
import { CUE_NEVER, DatasetsModule, resumedState, stateNumber, TIME_ATTRS } from "./datasets.ts";
import { eventSpecs } from "./ev44.ts";
import type { Json, ModuleInit, WriterModuleType } from "./module.ts";

const ADC_32 = ["adc_pulse_amplitude", "adc_pulse_peak_area", "adc_pulse_background"] as const;
const ADC_64 = ["adc_pulse_threshold_time", "adc_pulse_peak_time"] as const;

function adcSpecs(chunkRows: number): Record<string, AppendSpec> {
  const specs: Record<string, AppendSpec> = {};
  for (const name of ADC_32) specs[name] = { dtype: "uint32", chunkRows };
  for (const name of ADC_64) specs[name] = { dtype: "uint64", chunkRows, attrs: TIME_ATTRS };
  return specs;
}

const EMPTY = new Uint32Array(0);

class Ev42Writer extends DatasetsModule {
  readonly #cueInterval: number;
  readonly #adc: boolean;
  #events: number;
  #lastCue: number;

  constructor(init: ModuleInit) {
    const cueInterval = intOption(init.config, "cue_interval", CUE_NEVER, 0);
    const adc = boolOption(init.config, "adc_pulse_debug", false);
    const chunkRows = intOption(init.config, "chunk_size", 1_048_576);
    super(init, { ...eventSpecs(chunkRows), ...(adc ? adcSpecs(chunkRows) : {}) });
    this.#cueInterval = cueInterval;
    this.#adc = adc;
    const state = resumedState(init);
    this.#events = stateNumber(state, "events", 0);
    this.#lastCue = stateNumber(state, "lastCueIndex", 0);
  }

  write(message: DecodedTable): number {
    const m = message as EventMessage;
    const tof = m.time_of_flight ?? EMPTY;
    const n = tof.length;
    let bytes = this.d.get("event_time_offset").append(tof) + this.d.get("event_id").append(m.detector_id ?? EMPTY);
    bytes += this.d.get("event_time_zero").append([m.pulse_time]);
    bytes += this.d.get("event_index").append([BigInt(this.#events)]);
    this.#events += n;
    if (n > 0 && this.#events > this.#lastCue + this.#cueInterval) {
      bytes += this.d.get("cue_timestamp_zero").append([m.pulse_time + BigInt(tof[n - 1])]);
      bytes += this.d.get("cue_index").append([BigInt(this.#events - 1)]);
      this.#lastCue = this.#events - 1;
    }
    if (this.#adc) bytes += this.#writeAdc(m, n);
    return bytes;
  }

  #writeAdc(m: EventMessage, events: number): number {
    const debug = m.facility_specific_data_type === "AdcPulseDebug" ? m.facility_specific_data : undefined;
    let bytes = 0;
    for (const name of [...ADC_32, ...ADC_64]) {
      const field = name.slice("adc_pulse_".length) as keyof NonNullable<typeof debug>;
      const zeros = name.endsWith("_time") ? new BigUint64Array(events) : new Uint32Array(events);
      bytes += this.d.get(name).append(debug ? debug[field] ?? EMPTY : zeros);
    }
    return bytes;
  }

  protected override state(): Json {
    return { events: this.#events, lastCueIndex: this.#lastCue };
  }
}

/** The ev42 writer module type (removed from kafka-to-nexus in 2024; kept for older producers). */
export const ev42Module: WriterModuleType = {
  id: "ev42",
  schema: "ev42",
  nxClass: "NXevent_data",
  acceptsRepeatedTimestamps: true,
  writesLastKnownValue: false,
  configKeys: ["cue_interval", "chunk_size", "adc_pulse_debug"],
  open: (init) => new Ev42Writer(init),
};
