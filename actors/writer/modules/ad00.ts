/**
 * Writer module "ad00": area detector frames into NXlog, as kafka-to-nexus's ad00 writer does.
 *
 * Config: `array_size` (the frame shape, default [1, 1]), `dtype`/`type` (default float64; int8…float64 or
 * c_string, stored as int8; an unknown name falls back to float64), `cue_interval` (default 1000 frames) and
 * `chunk_size` (elements, default [1048576]: a single number gives chunks of as many whole frames as fit, at least one;
 * a list as long as the frame rank plus one gives the rows per chunk first).
 *
 * Datasets: `value` ([n, ...array_size], units ""), `time` (uint64 ns, chunk `chunk_size[0]`), and `cue_index` /
 * `cue_timestamp_zero` every `cue_interval` frames. A frame smaller than `array_size` is padded with zeros; a frame
 * of another rank or larger in any dimension is refused with `ModuleWriteError` (the dataset cannot widen).
 *
 * @module
 */
import type { ad00_ADArray } from "../../../schemas/ad00/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import type { NumericType } from "../hdf/append.ts";
import type { NumericArray } from "../hdf/dtypes.ts";
import { dtypeOption, fromBytes, intListOption, intOption, NUMERIC_NAMES, sizeOf, toTyped } from "./common.ts";
import { CuedTimes, DatasetsModule, resumedState, stateNumber, timeAndCueSpecs } from "./datasets.ts";
import {
  type Json,
  type ModuleInit,
  ModuleWriteError,
  sourceNameAndTimestamp,
  type WriterModuleType,
} from "./module.ts";

/** The frame and array element types, with c_string stored as int8 (C `char`). */
export const ARRAY_TYPES: Record<string, NumericType> = { ...NUMERIC_NAMES, c_string: "int8" };

/** Rows per chunk of a time series of frames of `shape`, from a `chunk_size` config as kafka-to-nexus reads it. */
export function rowsPerChunk(chunk: number[], shape: number[]): number {
  if (chunk.length === shape.length + 1) return chunk[0];
  if (chunk.length === 1) return Math.max(1, Math.floor(chunk[0] / sizeOf(shape)));
  return 1024;
}

/**
 * The first `count` elements of a message's `data` bytes, read as its `dataType` (an {@linkcode ARRAY_TYPES} name)
 * and converted to `dtype`. Throws `ModuleWriteError`, naming `what` (the frame or variable), when the type is
 * unknown or the bytes hold fewer elements.
 */
export function elementsOf(
  what: string,
  data: Uint8Array,
  dataType: unknown,
  count: number,
  dtype: NumericType,
): NumericArray {
  const type = ARRAY_TYPES[typeof dataType === "string" ? dataType : ""];
  if (!type) throw new ModuleWriteError(`${what} has no usable data type (${dataType})`);
  const elements = fromBytes(data, type);
  if (elements.length < count) throw new ModuleWriteError(`${what} has ${elements.length} elements, not ${count}`);
  return toTyped(elements.subarray(0, count), dtype);
}

/** `data` (row-major, shape `from`) placed at the origin of a zero-filled array of shape `to` (same rank, ≤ `to`). */
function padTo(data: NumericArray, from: number[], to: number[]): NumericArray {
  if (from.every((d, i) => d === to[i])) return data;
  const out = new (data.constructor as new (n: number) => NumericArray)(sizeOf(to));
  const count = sizeOf(from);
  const index = new Array<number>(from.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = 0;
    for (let d = 0; d < to.length; d++) at = at * to[d] + index[d];
    (out as Float64Array)[at] = (data as Float64Array)[i];
    for (let d = from.length - 1; d >= 0; d--) {
      if (++index[d] < from[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

class Ad00Writer extends DatasetsModule {
  readonly #shape: number[];
  readonly #dtype: NumericType;
  readonly #times: CuedTimes;

  constructor(init: ModuleInit) {
    const config = init.config;
    const shape = intListOption(config, "array_size", [1, 1]);
    const dtype = dtypeOption(config, ["dtype", "type"], ARRAY_TYPES, "float64");
    const cueInterval = intOption(config, "cue_interval", 1000);
    const chunk = intListOption(config, "chunk_size", [1_048_576]);
    super(init, {
      value: { dtype, chunkRows: rowsPerChunk(chunk, shape), rowShape: shape, attrs: { units: "" } },
      ...timeAndCueSpecs(chunk[0]),
    });
    this.#shape = shape;
    this.#dtype = dtype;
    this.#times = new CuedTimes(this.d, cueInterval, stateNumber(resumedState(init), "cueCounter", 0));
  }

  write(message: DecodedTable): number {
    const m = message as ad00_ADArray;
    const dims = Array.from(m.dimensions, Number);
    if (dims.length !== this.#shape.length || dims.some((d, i) => d > this.#shape[i])) {
      throw new ModuleWriteError(`ad00 frame [${dims}] does not fit array_size [${this.#shape}]`);
    }
    const elements = elementsOf(`ad00 frame [${dims}]`, m.data, m.data_type, sizeOf(dims), this.#dtype);
    return this.d.get("value").append(padTo(elements, dims, this.#shape)) + this.#times.append(m.timestamp);
  }

  protected override state(): Json {
    return { cueCounter: this.#times.since };
  }
}

/** The ad00 writer module type. */
export const ad00Module: WriterModuleType = {
  id: "ad00",
  schema: "ad00",
  sourceAndTime: sourceNameAndTimestamp,
  nxClass: "NXlog",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: ["array_size", "dtype", "type", "cue_interval", "chunk_size"],
  open: (init) => new Ad00Writer(init),
};
