/**
 * Writer module "se00": sample environment sample arrays into NXlog, as kafka-to-nexus's se00 writer does. The
 * source name is the message's `name`.
 *
 * Config: `dtype`/`type` (default int64; int8…uint64, float32/float, float64/double; an unknown name falls back to
 * int64), `chunk_size` (default 4096) and the companion switches. Datasets: `value` (all samples, the configured
 * type), `time` (uint64 ns: the message's `timestamps` when present, else packet_timestamp + round(i·time_delta)),
 * and per message `cue_index` (index in `value` of its first sample) and `cue_timestamp_zero` (packet_timestamp).
 * Messages without samples are skipped.
 *
 * @module
 */
import type { se00_SampleEnvironmentData } from "../../../schemas/se00/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import type { NumericType } from "../hdf/append.ts";
import { convertFor, dtypeOption, intOption, NUMERIC_NAMES } from "./common.ts";
import { DatasetsModule, timeAndCueSpecs } from "./datasets.ts";
import { EPICS_COMPANIONS } from "./f144.ts";
import type { ModuleInit, WriterModuleType } from "./module.ts";

const SE00_TYPES: Record<string, NumericType> = { ...NUMERIC_NAMES, float: "float32", double: "float64" };

/** `count` times from `origin` every `delta` ns, each offset rounded half away from zero. */
function generatedTimes(origin: bigint, delta: number, count: number): BigInt64Array {
  const times = new BigInt64Array(count);
  for (let i = 0; i < count; i++) {
    const offset = i * delta;
    times[i] = origin + BigInt(Math.sign(offset) * Math.round(Math.abs(offset)));
  }
  return times;
}

class Se00Writer extends DatasetsModule {
  readonly #dtype: NumericType;

  constructor(init: ModuleInit) {
    const dtype = dtypeOption(init.config, ["dtype", "type"], SE00_TYPES, "int64");
    const chunkRows = intOption(init.config, "chunk_size", 4096);
    super(init, { value: { dtype, chunkRows }, ...timeAndCueSpecs(chunkRows) });
    this.#dtype = dtype;
  }

  write(message: DecodedTable): number {
    const m = message as se00_SampleEnvironmentData;
    const samples = m.values.value;
    if (samples.length === 0) return 0;
    const value = this.d.get("value");
    const times = m.timestamps ?? generatedTimes(m.packet_timestamp, m.time_delta, samples.length);
    return this.d.cue(value.rows, m.packet_timestamp) + value.append(convertFor(samples, this.#dtype)) +
      this.d.get("time").append(times);
  }
}

/** The se00 writer module type. */
export const se00Module: WriterModuleType = {
  id: "se00",
  schema: "se00",
  sourceAndTime: (m) => ({ source: m.name, time: m.packet_timestamp }),
  nxClass: "NXlog",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: ["dtype", "type", "chunk_size", "enable_alarm_info", "enable_epics_con_info"],
  companions: EPICS_COMPANIONS,
  open: (init) => new Se00Writer(init),
};
