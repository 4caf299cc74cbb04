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
import { toTyped } from "./common.ts";
import { timeAndCueSpecs } from "./datasets.ts";
import { LOG_CONFIG_KEYS, logConfig, LogWriter, SCALAR_TYPES } from "./log.ts";
import { type ModuleInit, ModuleWriteError, sourceNameAndTimestamp, type WriterModuleType } from "./module.ts";

/** Companions added by f144, tdct and se00: al00 and ep01 on the same topic and source. */
export const EPICS_COMPANIONS: readonly { module: string; enabledBy: string }[] = [
  { module: "al00", enabledBy: "enable_alarm_info" },
  { module: "ep01", enabledBy: "enable_epics_con_info" },
];

class F144Writer extends LogWriter {
  constructor(init: ModuleInit) {
    const config = logConfig(init.config, 0);
    super(init, config, {
      value: { dtype: config.dtype, chunkRows: 1024, attrs: { units: config.units } },
      ...timeAndCueSpecs(config.chunkRows),
    });
  }

  write(message: DecodedTable): number {
    const m = message as f144_LogData;
    if (!SCALAR_TYPES.has(m.value_type)) {
      throw new ModuleWriteError(`f144 writer takes scalars only, not ${m.value_type} (source ${m.source_name})`);
    }
    const values = [(m.value as { value: number | bigint }).value] as ArrayLike<number> | ArrayLike<bigint>;
    return this.appendValue(m.timestamp, toTyped(values, this.config.dtype), values);
  }
}

/** The f144 writer module type. */
export const f144Module: WriterModuleType = {
  id: "f144",
  schema: "f144",
  sourceAndTime: sourceNameAndTimestamp,
  nxClass: "NXlog",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: [...LOG_CONFIG_KEYS, "enable_alarm_info", "enable_epics_con_info"],
  companions: EPICS_COMPANIONS,
  open: (init) => new F144Writer(init),
};
