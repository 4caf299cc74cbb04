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
import { boolOption } from "./common.ts";
import { CUE_NEVER, TIME_ATTRS } from "./datasets.ts";
import { EventWriter } from "./ev44.ts";
import type { ModuleInit, WriterModuleType } from "./module.ts";

const ADC_32 = ["adc_pulse_amplitude", "adc_pulse_peak_area", "adc_pulse_background"] as const;
const ADC_64 = ["adc_pulse_threshold_time", "adc_pulse_peak_time"] as const;

function adcSpecs(chunkRows: number): Record<string, AppendSpec> {
  const specs: Record<string, AppendSpec> = {};
  for (const name of ADC_32) specs[name] = { dtype: "uint32", chunkRows };
  for (const name of ADC_64) specs[name] = { dtype: "uint64", chunkRows, attrs: TIME_ATTRS };
  return specs;
}

const EMPTY = new Uint32Array(0);

class Ev42Writer extends EventWriter {
  readonly #adc: boolean;

  constructor(init: ModuleInit) {
    const adc = boolOption(init.config, "adc_pulse_debug", false);
    super(init, CUE_NEVER, adc ? adcSpecs : undefined);
    this.#adc = adc;
  }

  write(message: DecodedTable): number {
    const m = message as EventMessage;
    const timeOfFlight = m.time_of_flight ?? EMPTY;
    const ids = m.detector_id ?? EMPTY;
    const bytes = this.appendEvents({ timeOfFlight, ids, pulseTimes: [m.pulse_time], pulseIndex: [0] });
    return this.#adc ? bytes + this.#writeAdc(m, timeOfFlight.length) : bytes;
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
}

/** The ev42 writer module type (removed from kafka-to-nexus in 2024; kept for older producers). */
export const ev42Module: WriterModuleType = {
  id: "ev42",
  schema: "ev42",
  sourceAndTime: (m) => ({ source: m.source_name, time: m.pulse_time }),
  nxClass: "NXevent_data",
  acceptsRepeatedTimestamps: true,
  writesLastKnownValue: false,
  configKeys: ["cue_interval", "chunk_size", "adc_pulse_debug"],
  open: (init) => new Ev42Writer(init),
};
