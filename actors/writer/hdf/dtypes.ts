/**
 * Element types and typed values of the file writer's HDF5 layer: the numeric types and their h5wasm dtypes, the
 * dtype names of nexus_structure JSON (kafka-to-nexus's uint8..int64, `int` = int32, `float` = float32, `double`,
 * `string`), and the conversion of JSON values (scalars or nested arrays) into flat typed arrays with a shape.
 *
 * JSON is parsed with {@linkcode parseJsonExact}, which keeps the difference between integer and real literals that
 * kafka-to-nexus's JSON library sees: integer literals become `bigint` (exact beyond 2^53), the others stay
 * `number`, so `2` infers int64 and `2.0` float64.
 *
 * @module
 */

import type { ScalarType } from "../../../schemas/layout.ts";
import type { NumericArray } from "../../../protocols/arrays.ts";

/** The numeric element types of datasets and attributes: the FlatBuffers scalar types but `bool`. */
export type NumericType = Exclude<ScalarType, "bool">;

/** A numeric type or a variable-length UTF-8 string. */
export type ElementType = NumericType | "string";

/** A typed array of one of the numeric types. */
export type { NumericArray };

/** The constructor of a {@linkcode NumericArray}. */
export interface NumericArrayConstructor {
  new (length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
}

/** Element type → [h5wasm dtype, typed array class]. */
export const NUMERIC: Readonly<Record<NumericType, readonly [string, NumericArrayConstructor]>> = {
  int8: ["<b", Int8Array],
  uint8: ["<B", Uint8Array],
  int16: ["<h", Int16Array],
  uint16: ["<H", Uint16Array],
  int32: ["<i", Int32Array],
  uint32: ["<I", Uint32Array],
  int64: ["<q", BigInt64Array],
  uint64: ["<Q", BigUint64Array],
  float32: ["<f", Float32Array],
  float64: ["<d", Float64Array],
};

/** The dtype names of nexus_structure JSON. */
export const STRUCTURE_DTYPES: Readonly<Record<string, ElementType>> = {
  uint8: "uint8",
  uint16: "uint16",
  uint32: "uint32",
  uint64: "uint64",
  int8: "int8",
  int16: "int16",
  int32: "int32",
  int64: "int64",
  int: "int32",
  float: "float32",
  double: "float64",
  string: "string",
};

/** A nexus_structure JSON that cannot be written; the message says where and why. */
export class StructureError extends Error {
  override name = "StructureError";
}

/** Values ready for HDF5: flat, row-major, with their shape ([] for a scalar). */
export interface TypedValues {
  type: ElementType;
  shape: number[];
  values: string[] | NumericArray;
}

/** JSON.parse, with integer literals as `bigint` and real literals as `number`. */
export function parseJsonExact(text: string): unknown {
  const reviver = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" && context?.source !== undefined && /^-?\d+$/.test(context.source)
      ? BigInt(context.source)
      : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/** Turns the `bigint`s of {@linkcode parseJsonExact} back into numbers (for module configs). */
export function plainNumbers(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainNumbers(v)]));
  }
  return value;
}

/** The element type named by a nexus_structure dtype; throws {@linkcode StructureError} for an unknown name. */
export function structureDtype(name: unknown, where: string): ElementType {
  if (typeof name === "string" && Object.hasOwn(STRUCTURE_DTYPES, name)) return STRUCTURE_DTYPES[name];
  throw new StructureError(
    `${where}: dtype ${JSON.stringify(name)} is not one of ${Object.keys(STRUCTURE_DTYPES).join(", ")}`,
  );
}

/** The shape of a scalar or of rectangular nested arrays, and its elements in row-major order. */
export function flatten(value: unknown, where: string): { shape: number[]; flat: unknown[] } {
  if (!Array.isArray(value)) return { shape: [], flat: [value] };
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const flat: unknown[] = [];
  const walk = (node: unknown, depth: number, at: string) => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw new StructureError(`${where}: ragged nested arrays (${at} is an array)`);
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const found = Array.isArray(node) ? `${node.length} elements` : "not an array";
      throw new StructureError(`${where}: ragged nested arrays (${at} has ${found}, expected ${shape[depth]})`);
    }
    node.forEach((child, i) => walk(child, depth + 1, `${at}[${i}]`));
  };
  walk(value, 0, "values");
  return { shape, flat };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** The inferred type of attribute values: any string → string; integers → int64 (uint64 above int64's range);
 * any real → float64. */
export function inferType(flat: readonly unknown[], where: string): ElementType {
  let type: ElementType = "int64";
  for (const v of flat) {
    if (typeof v === "string") return "string";
    if (typeof v === "number") type = "float64";
    else if (typeof v === "bigint") {
      if (type === "int64" && v > INT64_MAX) type = "uint64";
    } else throw new StructureError(`${where}: unsupported value ${JSON.stringify(v)}`);
  }
  if (type === "uint64" && flat.some((v) => typeof v === "bigint" && v < 0n)) {
    throw new StructureError(`${where}: integers span more than int64 or uint64 can hold`);
  }
  return type;
}

/** Integer ranges of the integer types. */
const INT_RANGES: Partial<Record<NumericType, readonly [bigint, bigint]>> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [INT64_MIN, INT64_MAX],
  uint64: [0n, UINT64_MAX],
};

/** Converts JSON scalars to `type`, checking integers and ranges; throws {@linkcode StructureError}. */
export function toTyped(flat: readonly unknown[], type: ElementType, where: string): string[] | NumericArray {
  if (type === "string") {
    return flat.map((v) => {
      if (typeof v === "string") return v;
      if (typeof v === "number" || typeof v === "bigint") return String(v);
      throw new StructureError(`${where}: unsupported value ${JSON.stringify(v)}`);
    });
  }
  const out = new NUMERIC[type][1](flat.length);
  const range = INT_RANGES[type];
  flat.forEach((v, i) => {
    if (typeof v !== "number" && typeof v !== "bigint") {
      const hint = typeof v === "string" && type === "float64"
        ? ` (double is the default; give "dtype": "string")`
        : "";
      throw new StructureError(`${where}: ${JSON.stringify(v)} is not a number for dtype ${type}${hint}`);
    }
    if (!range) {
      (out as Float64Array)[i] = Number(v);
      return;
    }
    if (typeof v === "number" && !Number.isInteger(v)) {
      throw new StructureError(`${where}: ${v} is not an integer for dtype ${type}`);
    }
    const n = BigInt(v);
    if (n < range[0] || n > range[1]) throw new StructureError(`${where}: ${n} is out of range for dtype ${type}`);
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = n;
    else (out as Int32Array)[i] = Number(n);
  });
  return out;
}

/** Typed values of a JSON scalar or nested array, of `dtype` (a structure dtype name) or inferred when absent. */
export function typedValues(
  value: unknown,
  dtype: unknown,
  fallback: "infer" | ElementType,
  where: string,
): TypedValues {
  const { shape, flat } = flatten(value, where);
  const type = dtype !== undefined
    ? structureDtype(dtype, where)
    : fallback === "infer"
    ? inferType(flat, where)
    : fallback;
  return { type, shape, values: toTyped(flat, type, where) };
}

/** The h5wasm dtype of an element type (variable-length UTF-8 for strings). */
export function h5wasmDtype(type: ElementType): string {
  return type === "string" ? "S" : NUMERIC[type][0];
}
