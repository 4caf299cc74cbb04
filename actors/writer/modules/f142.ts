/**
 * Writer module "f142": the older log values (scalars or arrays, with the EPICS alarm inside) into NXlog, as
 * kafka-to-nexus's f142 writer did before its removal (read at `bbed1ce4^`).
 *
 * Config: `dtype`/`type` (default "double", names as f144), `array_size` (default 1), `chunk_size` (default 1024),
 * `cue_interval` (default uint32 max), `value_units`/`unit` (a `units` attribute on `value` when not empty),
 * `meta_data` (default true) and `enable_epics_con_info` (its ep01 companion).
 *
 * Datasets: `value` ([n, array_size], chunk [chunk_size, array_size]; a scalar or shorter array is padded with zeros,
 * a longer or empty array refused with `ModuleWriteError`), `time` (uint64 ns), `cue_index` / `cue_timestamp_zero`
 * every `cue_interval` writes, and for each message whose alarm status is not NO_CHANGE: `alarm_time`,
 * `alarm_status` (fixed 32-byte string: the status name, "UNRECOGNISED_STATUS" for an unknown one) and
 * `alarm_severity` (int16 in al00's numbering: NO_ALARM → 0, MINOR → 1, MAJOR → 2, INVALID and NO_CHANGE → 3), all
 * chunk 1024. At close with `meta_data`: `minimum_value`, `maximum_value`, `average_value` over all elements
 * written (padding excluded).
 *
 * @module
 */
import type { LogData } from "../../../schemas/f142/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import type { NumericType } from "../hdf/append.ts";
import {
  ARRAY_OF,
  boolOption,
  cueSpecs,
  Datasets,
  dtypeOption,
  intOption,
  resumedState,
  RunningStats,
  stateNumber,
  stringOption,
  timeSpec,
  toTyped,
} from "./common.ts";
import { LOG_TYPES, SCALAR_TYPES } from "./f144.ts";
import {
  type ModuleCheckpoint,
  type ModuleInit,
  ModuleWriteError,
  type WriterModule,
  type WriterModuleType,
} from "./module.ts";

/** f142 AlarmSeverity names → al00 Severity numbers. */
const SEVERITY: Record<string, number> = { NO_ALARM: 0, MINOR: 1, MAJOR: 2, INVALID: 3, NO_CHANGE: 3 };

class F142Writer implements WriterModule {
  readonly #init: ModuleInit;
  readonly #d: Datasets;
  readonly #dtype: NumericType;
  readonly #arraySize: number;
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
    this.#arraySize = intOption(config, "array_size", 1);
    this.#units = stringOption(config, ["value_units", "unit"], "");
    this.#cueInterval = intOption(config, "cue_interval", 2 ** 32 - 1);
    this.#metaData = boolOption(config, "meta_data", true);
    const chunkRows = intOption(config, "chunk_size", 1024);
    this.#d = new Datasets(init, {
      time: timeSpec(chunkRows),
      ...cueSpecs(chunkRows),
      value: {
        dtype: this.#dtype,
        chunkRows,
        rowShape: [this.#arraySize],
        attrs: this.#units === "" ? undefined : { units: this.#units },
      },
      alarm_time: timeSpec(1024),
      alarm_status: { dtype: { fixedString: 32 }, chunkRows: 1024 },
      alarm_severity: { dtype: "int16", chunkRows: 1024 },
    });
    const state = resumedState(init);
    this.#writes = stateNumber(state, "writes", 0);
    this.#lastCueAt = stateNumber(state, "lastCueAt", 0);
    this.#stats = RunningStats.fromJson(state.stats);
  }

  write(message: DecodedTable): number {
    const m = message as LogData;
    if (m.value_type === "NONE") throw new ModuleWriteError("Unknown data type in f142 flatbuffer");
    const inner = (m.value as { value?: number | bigint | ArrayLike<number> | ArrayLike<bigint> }).value;
    const values = SCALAR_TYPES.has(m.value_type)
      ? [inner] as ArrayLike<number> | ArrayLike<bigint>
      : (inner ?? []) as ArrayLike<number> | ArrayLike<bigint>;
    if (values.length === 0 || values.length > this.#arraySize) {
      throw new ModuleWriteError(`f142 value of ${values.length} elements for array_size ${this.#arraySize}`);
    }
    const row = new ARRAY_OF[this.#dtype](this.#arraySize);
    (row as Float64Array).set(toTyped(values, this.#dtype) as Float64Array);
    let bytes = this.#d.get("time").append([m.timestamp]) + this.#d.get("value").append(row);
    this.#writes++;
    if (this.#writes - this.#lastCueAt >= this.#cueInterval) {
      this.#lastCueAt = this.#writes;
      bytes += this.#d.get("cue_index").append([BigInt(this.#writes - 1)]);
      bytes += this.#d.get("cue_timestamp_zero").append([m.timestamp]);
    }
    if (this.#metaData) this.#stats.add(values);
    if (m.status !== "NO_CHANGE") {
      const status = typeof m.status === "string" ? m.status : "UNRECOGNISED_STATUS";
      const severity = typeof m.severity === "string" ? SEVERITY[m.severity] ?? 0 : 0;
      bytes += this.#d.get("alarm_time").append([m.timestamp]) + this.#d.get("alarm_status").append([status]) +
        this.#d.get("alarm_severity").append([severity]);
    }
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

/** The f142 writer module type (removed from kafka-to-nexus in 2024; kept for older producers). */
export const f142Module: WriterModuleType = {
  id: "f142",
  schema: "f142",
  nxClass: "NXlog",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: [
    "dtype",
    "type",
    "array_size",
    "chunk_size",
    "cue_interval",
    "value_units",
    "unit",
    "meta_data",
    "enable_epics_con_info",
  ],
  companions: [{ module: "ep01", enabledBy: "enable_epics_con_info" }],
  open: (init) => new F142Writer(init),
};
