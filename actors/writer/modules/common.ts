/**
 * What the writer modules share besides their datasets (`datasets.ts`): reading config values, numeric conversions
 * the way HDF5 would convert, enum numbers, and the close-time statistics.
 *
 * @module
 */
import type { Group } from "h5wasm/node";
import { NUMERIC, type NumericArray, type NumericType } from "../hdf/dtypes.ts";
import type { SchemaLayout } from "../../../schemas/layout.ts";
import { type Json, ModuleConfigError } from "./module.ts";

/** An integer config value ≥ `min`, or `fallback` when absent; throws `ModuleConfigError` otherwise. */
export function intOption(config: Record<string, unknown>, key: string, fallback: number, min = 1): number {
  const value = config[key];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ModuleConfigError(`config "${key}" must be an integer ≥ ${min}, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** A list of positive integers (a bare integer counts as a list of one), or `fallback` when absent. */
export function intListOption(config: Record<string, unknown>, key: string, fallback: number[]): number[] {
  const value = config[key];
  if (value === undefined) return fallback;
  const list = typeof value === "number" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new ModuleConfigError(`config "${key}" must be a list of positive integers, not ${JSON.stringify(value)}`);
  }
  return list;
}

/** A boolean config value, or `fallback` when absent. */
export function boolOption(config: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = config[key];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ModuleConfigError(`config "${key}" must be true or false`);
  return value;
}

/** The first present string among `keys` (aliases), or `fallback`. */
export function stringOption(config: Record<string, unknown>, keys: readonly string[], fallback: string): string {
  for (const key of keys) {
    const value = config[key];
    if (value === undefined) continue;
    if (typeof value !== "string") throw new ModuleConfigError(`config "${key}" must be a string`);
    return value;
  }
  return fallback;
}

/** The element types by their sized names. */
export const NUMERIC_NAMES: Record<string, NumericType> = {
  int8: "int8",
  uint8: "uint8",
  int16: "int16",
  uint16: "uint16",
  int32: "int32",
  uint32: "uint32",
  int64: "int64",
  uint64: "uint64",
  float32: "float32",
  float64: "float64",
};

/**
 * The element type named by the first present key of `keys` (case-insensitive, looked up in `names`). As in
 * kafka-to-nexus, an unknown name falls back to `fallback`; a value that is not a string is a `ModuleConfigError`.
 */
export function dtypeOption(
  config: Record<string, unknown>,
  keys: readonly string[],
  names: Record<string, NumericType>,
  fallback: NumericType,
): NumericType {
  const name = stringOption(config, keys, "").toLowerCase();
  return Object.hasOwn(names, name) ? names[name] : fallback;
}

/** The number of elements of an array of `shape` (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Whether the element type is held in bigint arrays. */
function isBig(dtype: NumericType): boolean {
  return dtype === "int64" || dtype === "uint64";
}

/**
 * `values` ready to append to (or write into) a dataset of `dtype`. Numbers bound for 64-bit integers are truncated
 * toward zero (NaN and infinities become 0), as a C cast does; every other conversion is left to the dataset.
 */
export function convertFor(
  values: ArrayLike<number> | ArrayLike<bigint>,
  dtype: NumericType,
): ArrayLike<number> | ArrayLike<bigint> {
  if (!isBig(dtype) || values.length === 0 || typeof values[0] === "bigint") return values;
  const out = new NUMERIC[dtype][1](values.length) as BigInt64Array;
  const numbers = values as ArrayLike<number>;
  for (let i = 0; i < numbers.length; i++) {
    const v = numbers[i];
    out[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  }
  return out;
}

/** `values` as a typed array of `dtype` (converted like {@linkcode convertFor}, then like a typed-array copy). */
export function toTyped(values: ArrayLike<number> | ArrayLike<bigint>, dtype: NumericType): NumericArray {
  const converted = convertFor(values, dtype);
  const Class = NUMERIC[dtype][1];
  if (converted instanceof Class) return converted;
  const out = new Class(converted.length);
  const big = isBig(dtype);
  if (converted.length === 0) return out;
  if (ArrayBuffer.isView(converted) && (typeof converted[0] === "bigint") === big) {
    (out as Float64Array).set(converted as unknown as Float64Array);
    return out;
  }
  for (let i = 0; i < converted.length; i++) {
    const v = converted[i];
    (out as Float64Array)[i] = (big ? v : Number(v)) as number;
  }
  return out;
}

/** A typed array class as a maker of views of a buffer. */
type BufferView = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
};

/**
 * The elements of `bytes` read as `dtype` (a view when aligned, else a copy); a partial trailing element is ignored.
 */
export function fromBytes(bytes: Uint8Array, dtype: NumericType): NumericArray {
  const Class = NUMERIC[dtype][1] as unknown as BufferView;
  const size = Class.BYTES_PER_ELEMENT;
  const count = Math.floor(bytes.byteLength / size);
  if (bytes.byteOffset % size === 0) return new Class(bytes.buffer, bytes.byteOffset, count);
  return new Class(bytes.slice(0, count * size).buffer, 0, count);
}

/** The number of an enum value as decoded (a member name, or the number of a value that is not a member). */
export function enumNumber(layout: SchemaLayout, enumName: string, value: unknown): number {
  if (typeof value === "number") return value;
  const number = layout.enums[enumName]?.values[String(value)];
  return typeof number === "number" ? number : 0;
}

/** Writes a scalar float64 dataset with a `units` attribute (the close-time statistics); an existing dataset of that
 * name (written by an earlier close of a resumed file) is left as it is. */
function writeScalar(group: Group, name: string, value: number, units: string): void {
  if (group.keys().includes(name)) return;
  const ds = group.create_dataset({ name, data: new Float64Array([value]), shape: [], dtype: "<d" });
  if (!ds) throw new Error(`could not create dataset ${group.path}/${name}`);
  ds.create_attribute("units", units);
}

/** Minimum, maximum and sum of the values written, kept in the module state so that they survive a crash. */
export class RunningStats {
  min = 0;
  max = 0;
  sum = 0;
  count = 0;

  /** Restores the statistics saved by {@linkcode toJson} (none when absent). */
  static fromJson(saved: Json | undefined): RunningStats {
    const stats = new RunningStats();
    if (saved !== null && typeof saved === "object" && !Array.isArray(saved)) {
      stats.min = Number(saved.min ?? 0);
      stats.max = Number(saved.max ?? 0);
      stats.sum = Number(saved.sum ?? 0);
      stats.count = Number(saved.count ?? 0);
    }
    return stats;
  }

  /** Adds the values of one message. */
  add(values: ArrayLike<number> | ArrayLike<bigint>): void {
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i]);
      if (this.count === 0) this.min = this.max = v;
      this.min = Math.min(this.min, v);
      this.max = Math.max(this.max, v);
      this.sum += v;
      this.count++;
    }
  }

  /** The average (0 when nothing was written). */
  get average(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** JSON form: non-finite numbers (NaN, ±Infinity) as strings. */
  toJson(): Json {
    const j = (v: number): Json => Number.isFinite(v) ? v : String(v);
    return { min: j(this.min), max: j(this.max), sum: j(this.sum), count: this.count };
  }

  /** Writes `minimum_value`, `maximum_value` and `average_value` with `units`. */
  write(group: Group, units: string): void {
    writeScalar(group, "minimum_value", this.min, units);
    writeScalar(group, "maximum_value", this.max, units);
    writeScalar(group, "average_value", this.average, units);
  }
}
