/**
 * Writer module "da00": DataArray messages (named, typed, shaped variables) into NXdata, as kafka-to-nexus's da00
 * writer does.
 *
 * Config:
 * - `variables`: objects `{name, unit, label, source, data_type, axes, shape, data}`; each becomes a time series
 *   dataset `[n, ...shape]` of `data_type` (both required, or guessed from `data`), with attributes `units`,
 *   `long_name` (label), `source` and `axes` ("time:" + the axes joined by colons);
 * - `constants`: the same objects; each becomes a fixed dataset of `shape` holding `data` (a nested list, or
 *   `{first, last, size}` for evenly spaced values) or, when it has none, the same-named variable of the first message;
 *   attribute `axes` without the time prefix; `data_type` defaults to float64;
 * - `attributes`: `{name, data, data_type?}` written on the group. Without a `signal` attribute the first variable is
 *   the signal; without `axes` they are the signal variable's axes; when the signal is a variable, "time" is put first;
 * - `chunk_size` (default [1048576] elements; see `rowsPerChunk` in ad00.ts) and `cue_interval` (default: never).
 *
 * Per message: each variable is appended (a missing one is filled with NaN, or the type's maximum for integers; a
 * wrongly sized or typed one refuses the whole message with `ModuleWriteError`); `time` ← the message timestamp; a
 * cue entry every `cue_interval` messages.
 *
 * @module
 */
import type { Dataset, Group } from "h5wasm/node";
import type { da00_DataArray } from "../../../schemas/da00/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import type { AppendSpec, NumericType } from "../hdf/append.ts";
import { h5wasmDtype, NUMERIC, type NumericArray } from "../hdf/dtypes.ts";
import { ARRAY_TYPES, elementsOf, rowsPerChunk } from "./ad00.ts";
import { intListOption, intOption, sizeOf, toTyped } from "./common.ts";
import { CUE_NEVER, CuedTimes, DatasetsModule, resumedState, stateNumber, timeAndCueSpecs } from "./datasets.ts";
import {
  type Json,
  ModuleConfigError,
  type ModuleInit,
  ModuleWriteError,
  sourceNameAndTimestamp,
  type WriterModuleType,
} from "./module.ts";

/** One configured variable or constant. */
interface Item {
  name: string;
  dtype: NumericType;
  shape: number[];
  attrs: Record<string, string>;
  axes?: string[];
  /** flat values from the config (constants). */
  data?: number[];
}

const RESERVED = ["time", "cue_index", "cue_timestamp_zero"];

function fail(message: string): never {
  throw new ModuleConfigError(`da00: ${message}`);
}

/** Flattens nested number lists, giving their shape; `{first, last, size}` gives evenly spaced values. */
function dataOf(name: string, raw: unknown): { values: number[]; shape: number[] } {
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const { first, last, size } = raw as Record<string, unknown>;
    if (typeof first !== "number" || typeof last !== "number" || !Number.isInteger(size) || (size as number) < 1) {
      fail(`the data of ${name} must be a list or {first, last, size}`);
    }
    const n = size as number;
    const step = n > 1 ? (last - first) / (n - 1) : 0;
    return { values: Array.from({ length: n }, (_, i) => first + i * step), shape: [n] };
  }
  if (typeof raw === "number") return { values: [raw], shape: [] };
  if (!Array.isArray(raw)) fail(`the data of ${name} must be numbers`);
  const parts = raw.map((r) => dataOf(name, r));
  const inner = parts[0]?.shape ?? [];
  if (parts.some((p) => p.shape.join() !== inner.join())) fail(`the data of ${name} is not rectangular`);
  return { values: parts.flatMap((p) => p.values), shape: [raw.length, ...inner] };
}

function stringList(name: string, key: string, raw: unknown): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || !raw.every((s) => typeof s === "string")) fail(`${key} of ${name} must be strings`);
  return raw.length > 0 ? raw : undefined;
}

function parseItem(raw: unknown, constant: boolean): Item {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail("variables and constants must be objects");
  const c = raw as Record<string, unknown>;
  if (typeof c.name !== "string" || c.name === "") fail("a variable or constant has no name");
  const name = c.name;
  const attrs: Record<string, string> = {};
  for (const [key, attr] of [["unit", "units"], ["label", "long_name"], ["source", "source"]]) {
    if (c[key] === undefined) continue;
    if (typeof c[key] !== "string") fail(`${key} of ${name} must be a string`);
    attrs[attr] = c[key] as string;
  }
  const data = c.data === undefined ? undefined : dataOf(name, c.data);
  let dtype: NumericType | undefined;
  if (c.data_type !== undefined) {
    dtype = ARRAY_TYPES[String(c.data_type)];
    if (!dtype) fail(`unknown data_type ${JSON.stringify(c.data_type)} of ${name}`);
  } else if (data) dtype = data.values.every(Number.isInteger) ? "int64" : "float64";
  else if (constant) dtype = "float64";
  let shape = c.shape === undefined ? undefined : c.shape;
  if (shape !== undefined && (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 1))) {
    fail(`the shape of ${name} must be positive integers`);
  }
  if (Array.isArray(shape) && shape.length === 0) shape = undefined;
  const dims = (shape as number[] | undefined) ?? data?.shape;
  if (!dtype || !dims) fail(`${name} needs a data_type and a shape (or data)`);
  if (data && data.values.length !== sizeOf(dims)) {
    fail(`the data of ${name} has ${data.values.length} values, not the ${dims.join("×")} of its shape`);
  }
  return { name, dtype, shape: dims, attrs, axes: stringList(name, "axes", c.axes), data: data?.values };
}

function items(config: Record<string, unknown>, key: string, constant: boolean): Item[] {
  const raw = config[key] ?? [];
  if (!Array.isArray(raw)) fail(`${key} must be a list`);
  return raw.map((r) => parseItem(r, constant));
}

/** One group attribute from the config. */
interface Attr {
  name: string;
  data: unknown;
  dtype?: string;
}

function parseAttrs(config: Record<string, unknown>, variables: Item[]): Attr[] {
  const raw = config.attributes ?? [];
  if (!Array.isArray(raw)) fail("attributes must be a list");
  const attrs: Attr[] = raw.map((a) => {
    if (a === null || typeof a !== "object" || typeof a.name !== "string") fail("an attribute has no name");
    return { name: a.name, data: a.data, dtype: typeof a.data_type === "string" ? a.data_type : undefined };
  });
  let signal = attrs.find((a) => a.name === "signal")?.data;
  if (signal === undefined && variables.length > 0) {
    signal = variables[0].name;
    attrs.push({ name: "signal", data: signal });
  }
  const signalVariable = variables.find((v) => v.name === signal);
  let axes = attrs.find((a) => a.name === "axes");
  if (!axes && signalVariable?.axes) attrs.push(axes = { name: "axes", data: signalVariable.axes });
  if (axes && signalVariable && Array.isArray(axes.data)) axes.data = ["time", ...axes.data];
  for (const a of attrs) checkAttr(a);
  return attrs;
}

function checkAttr(a: Attr): void {
  const values = Array.isArray(a.data) ? a.data : [a.data];
  const strings = values.every((v) => typeof v === "string");
  if (values.length === 0 || !(strings || values.every((v) => typeof v === "number"))) {
    fail(`attribute ${a.name} must be a string, a number or a list of either`);
  }
  if (!strings && a.dtype !== undefined && !ARRAY_TYPES[a.dtype]) fail(`unknown data_type ${a.dtype} of ${a.name}`);
}

function writeAttr(group: Group, a: Attr): void {
  if (Object.hasOwn(group.attrs, a.name)) group.delete_attribute(a.name);
  const values = (Array.isArray(a.data) ? a.data : [a.data]) as (string | number)[];
  if (typeof values[0] === "string") {
    group.create_attribute(a.name, a.data as string | string[]);
    return;
  }
  const numbers = values as number[];
  const dtype = (a.dtype && ARRAY_TYPES[a.dtype]) || (numbers.every(Number.isInteger) ? "int64" : "float64");
  const typed = toTyped(numbers, dtype);
  group.create_attribute(a.name, typed, Array.isArray(a.data) ? [typed.length] : [], h5wasmDtype(dtype));
}

/** The fill value of missing variables: NaN, or the type's maximum for integers. */
const MISSING: Record<NumericType, number | bigint> = {
  int8: 127,
  uint8: 255,
  int16: 32767,
  uint16: 65535,
  int32: 2147483647,
  uint32: 4294967295,
  int64: 2n ** 63n - 1n,
  uint64: 2n ** 64n - 1n,
  float32: NaN,
  float64: NaN,
};

/** `count` fill values of `dtype`. */
function missing(dtype: NumericType, count: number): NumericArray {
  const filled = new NUMERIC[dtype][1](count);
  (filled as Float64Array).fill(MISSING[dtype] as number);
  return filled;
}

class Da00Writer extends DatasetsModule {
  readonly #group: Group;
  readonly #variables: Item[];
  readonly #constants: Item[];
  readonly #times: CuedTimes;
  #first: boolean;

  constructor(init: ModuleInit) {
    const variables = items(init.config, "variables", false);
    const constants = items(init.config, "constants", true);
    const names = [...RESERVED, ...variables.map((v) => v.name), ...constants.map((c) => c.name)];
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) fail(`the dataset name ${twice} is used twice`);
    const attrs = parseAttrs(init.config, variables);
    const cueInterval = intOption(init.config, "cue_interval", CUE_NEVER);
    const chunk = intListOption(init.config, "chunk_size", [1_048_576]);
    const specs: Record<string, AppendSpec> = {};
    for (const v of variables) {
      const axes: Record<string, string> = v.axes ? { axes: ["time", ...v.axes].join(":") } : {};
      specs[v.name] = {
        dtype: v.dtype,
        chunkRows: rowsPerChunk(chunk, v.shape),
        rowShape: v.shape,
        attrs: { ...v.attrs, ...axes },
      };
    }
    super(init, { ...specs, ...timeAndCueSpecs(chunk[0]) });
    this.#group = init.group;
    this.#variables = variables;
    this.#constants = constants;
    if (!init.resume) {
      for (const c of this.#constants) this.#createConstant(c);
      for (const a of attrs) writeAttr(init.group, a);
    }
    const state = resumedState(init);
    this.#times = new CuedTimes(this.d, cueInterval, stateNumber(state, "cueCounter", 0));
    this.#first = state.first !== false;
  }

  #createConstant(c: Item): void {
    if (this.#group.keys().includes(c.name)) fail(`${this.#group.path}/${c.name} already exists`);
    const data = toTyped(c.data ?? new Array(sizeOf(c.shape)).fill(0), c.dtype);
    const ds = this.#group.create_dataset({ name: c.name, data, shape: c.shape, dtype: h5wasmDtype(c.dtype) });
    if (!ds) fail(`could not create the constant ${c.name}`);
    const axes: Record<string, string> = c.axes ? { axes: c.axes.join(":") } : {};
    for (const [name, value] of Object.entries({ ...c.attrs, ...axes })) ds.create_attribute(name, value);
  }

  write(message: DecodedTable): number {
    const m = message as da00_DataArray;
    const byName = new Map(m.data.map((v) => [v.name, v]));
    const rows = this.#variables.map((v) => {
      const given = byName.get(v.name);
      return given ? this.#elements(v, given) : missing(v.dtype, sizeOf(v.shape));
    });
    const constants = this.#first
      ? this.#constants.filter((c) => !c.data && byName.has(c.name)).map((c) =>
        [c, this.#elements(c, byName.get(c.name)!)] as const
      )
      : [];
    let bytes = 0;
    this.#variables.forEach((v, i) => bytes += this.d.get(v.name).append(rows[i]));
    for (const [c, values] of constants) {
      (this.#group.get(c.name) as Dataset).write_slice(c.shape.map((d) => [0, d]), values);
      bytes += values.length * values.BYTES_PER_ELEMENT;
    }
    this.#first = false;
    return bytes + this.#times.append(m.timestamp);
  }

  /** The elements of a message variable as `item`'s type; `ModuleWriteError` when its type or size is wrong. */
  #elements(item: Item, given: da00_DataArray["data"][number]): NumericArray {
    const count = sizeOf(item.shape);
    const shape = Array.from(given.shape, Number);
    if (sizeOf(shape) !== count) {
      throw new ModuleWriteError(`da00 variable ${item.name} has shape [${shape}], not [${item.shape}]`);
    }
    return elementsOf(`da00 variable ${item.name}`, given.data, given.data_type, count, item.dtype);
  }

  protected override state(): Json {
    return { cueCounter: this.#times.since, first: this.#first };
  }
}

/** The da00 writer module type. */
export const da00Module: WriterModuleType = {
  id: "da00",
  schema: "da00",
  sourceAndTime: sourceNameAndTimestamp,
  nxClass: "NXdata",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: ["variables", "constants", "attributes", "chunk_size", "cue_interval"],
  open: (init) => new Da00Writer(init),
};
