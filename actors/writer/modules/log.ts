/**
 * What the log value modules f144 and f142 share: their config (`dtype`/`type`, `value_units`/`unit`,
 * `cue_interval`, `meta_data`, `array_size`, `chunk_size`), a `value` and a `time` row per message with a cue every
 * `cue_interval` messages, and at close with `meta_data` the `minimum_value`, `maximum_value` and `average_value` of
 * all values written, kept in the module state so that they survive a crash.
 *
 * @module
 */
import type { Group } from "h5wasm/node";
import { f144 } from "../../../schemas/f144/codec.ts";
import type { AppendSpec, NumericType } from "../hdf/append.ts";
import { boolOption, dtypeOption, intOption, NUMERIC_NAMES, RunningStats, stringOption } from "./common.ts";
import { CuedTimes, DatasetsModule, resumedState, stateNumber } from "./datasets.ts";
import type { Json, ModuleInit } from "./module.ts";

/** The value type names of f144 and f142 configs (lower case). */
const LOG_TYPES: Record<string, NumericType> = {
  ...NUMERIC_NAMES,
  float: "float32",
  double: "float64",
  short: "int16",
  int: "int32",
  long: "int64",
};

/** The scalar members of the f144/f142 `Value` union (the others are its `Array…` members). */
export const SCALAR_TYPES: ReadonlySet<string> = new Set(
  f144.layout.unions.Value.filter((member) => !member.startsWith("Array")),
);

/** The config of a log value module. */
export interface LogConfig {
  /** the `value` type (default float64; an unknown name falls back to it). */
  dtype: NumericType;
  /** the units of `value` and the statistics (default ""). */
  units: string;
  /** messages per cue (default uint32 max: in effect never). */
  cueInterval: number;
  /** whether the statistics are written at close (default true). */
  metaData: boolean;
  /** elements per `value` row (default 1). */
  arraySize: number;
  /** rows per chunk of `time` and the cues (default 1024). */
  chunkRows: number;
}

/** The config keys {@linkcode logConfig} reads. */
export const LOG_CONFIG_KEYS: readonly string[] = [
  "dtype",
  "type",
  "array_size",
  "value_units",
  "unit",
  "cue_interval",
  "meta_data",
  "chunk_size",
];

/** Reads the config of f144 or f142; `array_size` must be an integer ≥ `arraySizeMin`. */
export function logConfig(config: Record<string, unknown>, arraySizeMin: number): LogConfig {
  return {
    dtype: dtypeOption(config, ["dtype", "type"], LOG_TYPES, "float64"),
    arraySize: intOption(config, "array_size", 1, arraySizeMin),
    units: stringOption(config, ["value_units", "unit"], ""),
    cueInterval: intOption(config, "cue_interval", 2 ** 32 - 1),
    metaData: boolOption(config, "meta_data", true),
    chunkRows: intOption(config, "chunk_size", 1024),
  };
}

/**
 * The base of f144 and f142: datasets `value` and `time` (with cues), the running statistics and their close-time
 * datasets. The checkpoint state is `{writes, lastCueAt, stats}`: messages written, that count at the last cue, and
 * the statistics.
 */
export abstract class LogWriter extends DatasetsModule {
  /** the module's config. */
  protected readonly config: LogConfig;
  readonly #group: Group;
  readonly #times: CuedTimes;
  readonly #stats: RunningStats;

  /** Creates (or reopens) the datasets of `specs`, which must hold `value` and the time and cue datasets. */
  constructor(init: ModuleInit, config: LogConfig, specs: Record<string, AppendSpec>) {
    super(init, specs);
    this.config = config;
    this.#group = init.group;
    const state = resumedState(init);
    const since = stateNumber(state, "writes", 0) - stateNumber(state, "lastCueAt", 0);
    this.#times = new CuedTimes(this.d, config.cueInterval, since);
    this.#stats = RunningStats.fromJson(state.stats);
  }

  /** Appends one message's `value` row and time (and a cue when due), and adds `values` (the row's elements without
   * padding) to the statistics; returns the bytes written. */
  protected appendValue(
    timestamp: bigint,
    row: ArrayLike<number> | ArrayLike<bigint>,
    values: ArrayLike<number> | ArrayLike<bigint>,
  ): number {
    const bytes = this.d.get("value").append(row) + this.#times.append(timestamp);
    if (this.config.metaData) this.#stats.add(values);
    return bytes;
  }

  /** `{writes, lastCueAt, stats}`; one `time` row is written per message. */
  protected override state(): Json {
    const writes = this.d.get("time").rows;
    return { writes, lastCueAt: writes - this.#times.since, stats: this.#stats.toJson() };
  }

  /** Writes the buffered rows, then with `meta_data` the statistics. */
  override close(): void {
    super.close();
    if (this.config.metaData) this.#stats.write(this.#group, this.config.units);
  }
}
