/**
 * Writer module "f144": scalar log values (EPICS PV updates) into NXlog, as kafka-to-nexus's f144 writer does.
 *
 * Config: `dtype`/`type` (default "double"; int8…uint64, float32, float64, float, double, short, int, long; an
 * unknown name falls back to double), `value_units`/`unit` (default ""), `chunk_size` (default 1024, for `time` and
 * the cues), `cue_interval` (default uint32 max: in effect never), `meta_data` (default true), `array_size` (parsed,
 * unused) and the companion switches `enable_alarm_info` / `enable_epics_con_info`.
 *
 * Datasets: `value` (1-D, the configured type, chunk 1024, `units` attribute always present), `time` (uint64 ns),
 * `cue_index` / `cue_timestamp_zero` every `cue_interval` writes; at close with `meta_data`: scalar float64
 * `minimum_value`, `maximum_value` and `average_value` with `units` (0 when nothing was written). Array values are
 * refused with `ModuleWriteError`, and nothing of such a message is written.
 *
 * @module
 */
import type { f144_LogData } from "../../../schemas/f144/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import type { NumericType } from "../hdf/append.ts";
import {
  boolOption,
  cueSpecs,
  Datasets,
  dtypeOption,
  intOption,
  NUMERIC_NAMES,
  resumedState,
  RunningStats,
  stateNumber,
  stringOption,
  timeSpec,
  toTyped,
} from "./common.ts";
import {
  type ModuleCheckpoint,
  type ModuleInit,
  ModuleWriteError,
  type WriterModule,
  type WriterModuleType,
} from "./module.ts";

/** The value type names of f144 and f142 configs (lower case). */
export const LOG_TYPES: Record<string, NumericType> = {
  ...NUMERIC_NAMES,
  float: "float32",
  double: "float64",
  short: "int16",
  int: "int32",
  long: "int64",
};

/** The scalar members of the f144/f142 `Value` union. */
export const SCALAR_TYPES: ReadonlySet<string> = new Set([
  "Byte",
  "UByte",
  "Short",
  "UShort",
  "Int",
  "UInt",
  "Long",
  "ULong",
  "Float",
  "Double",
]);

/** Companions added by f144, tdct and se00: al00 and ep01 on the same topic and source. */
export const EPICS_COMPANIONS: readonly { module: string; enabledBy: string }[] = [
  { module: "al00", enabledBy: "enable_alarm_info" },
  { module: "ep01", enabledBy: "enable_epics_con_info" },
];

class F144Writer implements WriterModule {
  readonly #init: ModuleInit;
  readonly #d: Datasets;
  readonly #dtype: NumericType;
  readonly #units: string;
  readonly #cueInterval: number;
  readonly #metaData: boolean;
  readonly #stats: RunningStats;
  #writes: number;
  #lastCueAt: number;

  constructor(init: ModuleInit) {
    this.#init = init;
    const config = init.config;
    this.#dtype = dtypeOption(config, ["dtype", "type"], LOG_TYPES, "float64");
    this.#units = stringOption(config, ["value_units", "unit"], "");
    this.#cueInterval = intOption(config, "cue_interval", 2 ** 32 - 1);
    this.#metaData = boolOption(config, "meta_data", true);
    intOption(config, "array_size", 1, 0);
    const chunkRows = intOption(config, "chunk_size", 1024);
    this.#d = new Datasets(init, {
      value: { dtype: this.#dtype, chunkRows: 1024, attrs: { units: this.#units } },
      time: timeSpec(chunkRows),
      ...cueSpecs(chunkRows),
    });
    const state = resumedState(init);
    this.#writes = stateNumber(state, "writes", 0);
    this.#lastCueAt = stateNumber(state, "lastCueAt", 0);
    this.#stats = RunningStats.fromJson(state.stats);
  }

  write(message: DecodedTable): number {
    const m = message as f144_LogData;
    if (!SCALAR_TYPES.has(m.value_type)) {
      throw new ModuleWriteError(`f144 writer takes scalars only, not ${m.value_type} (source ${m.source_name})`);
    }
    const raw = (m.value as { value: number | bigint }).value;
    const value = toTyped([raw] as ArrayLike<number> | ArrayLike<bigint>, this.#dtype);
    let bytes = this.#d.get("time").append([m.timestamp]) + this.#d.get("value").append(value);
    this.#writes++;
    if (this.#writes - this.#lastCueAt >= this.#cueInterval) {
      this.#lastCueAt = this.#writes;
      bytes += this.#d.get("cue_index").append([BigInt(this.#writes - 1)]);
      bytes += this.#d.get("cue_timestamp_zero").append([m.timestamp]);
    }
    if (this.#metaData) this.#stats.add([Number(raw)]);
    return bytes;
  }

  flush(): void {
    this.#d.flush();
  }

  checkpoint(): ModuleCheckpoint {
    return this.#d.checkpoint({ writes: this.#writes, lastCueAt: this.#lastCueAt, stats: this.#stats.toJson() });
  }

  close(): void {
    this.#d.flush();
    if (this.#metaData) this.#stats.write(this.#init.group, this.#units);
  }
}

/** The f144 writer module type. */
export const f144Module: WriterModuleType = {
  id: "f144",
  schema: "f144",
  nxClass: "NXlog",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: [
    "dtype",
    "type",
    "value_units",
    "unit",
    "chunk_size",
    "cue_interval",
    "array_size",
    "meta_data",
    "enable_alarm_info",
    "enable_epics_con_info",
  ],
  companions: EPICS_COMPANIONS,
  open: (init) => new F144Writer(init),
};
