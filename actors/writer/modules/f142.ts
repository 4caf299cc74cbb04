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
import { NUMERIC } from "../hdf/dtypes.ts";
import { toTyped } from "./common.ts";
import { timeAndCueSpecs, timeSpec } from "./datasets.ts";
import { LOG_CONFIG_KEYS, logConfig, LogWriter, SCALAR_TYPES } from "./log.ts";
import { type ModuleInit, ModuleWriteError, sourceNameAndTimestamp, type WriterModuleType } from "./module.ts";

/** f142 AlarmSeverity names → al00 Severity numbers. */
const SEVERITY: Record<string, number> = { NO_ALARM: 0, MINOR: 1, MAJOR: 2, INVALID: 3, NO_CHANGE: 3 };

class F142Writer extends LogWriter {
  constructor(init: ModuleInit) {
    const config = logConfig(init.config, 1);
    super(init, config, {
      ...timeAndCueSpecs(config.chunkRows),
      value: {
        dtype: config.dtype,
        chunkRows: config.chunkRows,
        rowShape: [config.arraySize],
        attrs: config.units === "" ? undefined : { units: config.units },
      },
      alarm_time: timeSpec(1024),
      alarm_status: { dtype: { fixedString: 32 }, chunkRows: 1024 },
      alarm_severity: { dtype: "int16", chunkRows: 1024 },
    });
  }

  write(message: DecodedTable): number {
    const m = message as LogData;
    if (m.value_type === "NONE") throw new ModuleWriteError("Unknown data type in f142 flatbuffer");
    const inner = (m.value as { value?: number | bigint | ArrayLike<number> | ArrayLike<bigint> }).value;
    const values = SCALAR_TYPES.has(m.value_type)
      ? [inner] as ArrayLike<number> | ArrayLike<bigint>
      : (inner ?? []) as ArrayLike<number> | ArrayLike<bigint>;
    const { dtype, arraySize } = this.config;
    if (values.length === 0 || values.length > arraySize) {
      throw new ModuleWriteError(`f142 value of ${values.length} elements for array_size ${arraySize}`);
    }
    const row = new NUMERIC[dtype][1](arraySize);
    (row as Float64Array).set(toTyped(values, dtype) as Float64Array);
    let bytes = this.appendValue(m.timestamp, row, values);
    if (m.status !== "NO_CHANGE") {
      const status = typeof m.status === "string" ? m.status : "UNRECOGNISED_STATUS";
      const severity = typeof m.severity === "string" ? SEVERITY[m.severity] ?? 0 : 0;
      bytes += this.d.get("alarm_time").append([m.timestamp]) + this.d.get("alarm_status").append([status]) +
        this.d.get("alarm_severity").append([severity]);
    }
    return bytes;
  }
}

/** The f142 writer module type (removed from kafka-to-nexus in 2024; kept for older producers). */
export const f142Module: WriterModuleType = {
  id: "f142",
  schema: "f142",
  sourceAndTime: sourceNameAndTimestamp,
  nxClass: "NXlog",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: [...LOG_CONFIG_KEYS, "enable_epics_con_info"],
  companions: [{ module: "ep01", enabledBy: "enable_epics_con_info" }],
  open: (init) => new F142Writer(init),
};
