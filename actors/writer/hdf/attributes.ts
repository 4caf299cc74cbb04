/**
 * HDF5 attributes of groups and datasets: the `attributes` of nexus_structure JSON nodes (kafka-to-nexus's two
 * forms, parsed and checked before any HDF5 call), and the plain string/number attributes the writer sets itself.
 *
 * - Object form `{"NX_class": "NXentry", "units": "K", "scale": 2.5}`: types are inferred (string, int64 for integer
 *   literals, uint64 for integers above int64's range, float64 for real literals); an array value gives a vector
 *   attribute.
 * - Array form `[{"name": ..., "values" | "value": ..., "dtype" | "type": ...}]`: explicit structure dtypes
 *   (uint8..int64, `int` = int32, `float` = float32, `double`, `string`), inferred when absent (an array containing
 *   any string gives a string attribute).
 *
 * The forms cannot be mixed in one node. Strings are variable-length UTF-8. Writing replaces an existing attribute
 * of the same name.
 *
 * @module
 */
import { Module } from "h5wasm/node";
import type { Dataset, Group } from "h5wasm/node";
import { h5wasmDtype, StructureError, type TypedValues, typedValues } from "./dtypes.ts";

/** One attribute, checked and typed. */
export interface AttributeSpec extends TypedValues {
  name: string;
}

/** A group or a dataset (anything with attributes). */
export type AttributeHolder = Group | Dataset;

/** Parses a node's `attributes` (either form) into typed attributes; throws {@linkcode StructureError}. */
export function parseAttributes(json: unknown, where: string): AttributeSpec[] {
  if (json === undefined) return [];
  if (Array.isArray(json)) return json.map((item, i) => parseArrayItem(item, i, where));
  if (json === null || typeof json !== "object") {
    throw new StructureError(`${where}: attributes must be an object or an array, not ${JSON.stringify(json)}`);
  }
  return Object.entries(json).map(([name, value]) => {
    const at = `${where}: attribute ${JSON.stringify(name)}`;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      throw new StructureError(`${at}: an object is not an attribute value (the array form needs a list)`);
    }
    return { name, ...typedValues(value, undefined, "infer", at) };
  });
}

function parseArrayItem(item: unknown, i: number, where: string): AttributeSpec {
  if (item === null || typeof item !== "object" || Array.isArray(item)) {
    throw new StructureError(`${where}: attributes item ${i} is not an object {"name", "values", "dtype"}`);
  }
  const fields = item as Record<string, unknown>;
  if (typeof fields.name !== "string" || fields.name === "") {
    throw new StructureError(
      `${where}: attributes item ${i} has no "name": the object form {"key": value} and the array form ` +
        `[{"name", "values", "dtype"}] cannot be mixed`,
    );
  }
  const at = `${where}: attribute ${JSON.stringify(fields.name)}`;
  const value = fields.values ?? fields.value;
  if (value === undefined || value === null) throw new StructureError(`${at}: no "values"`);
  return { name: fields.name, ...typedValues(value, fields.dtype ?? fields.type, "infer", at) };
}

/** Writes typed attributes on `obj`, replacing existing ones of the same names. */
export function writeAttributes(obj: AttributeHolder, attrs: readonly AttributeSpec[]): void {
  for (const attr of attrs) {
    if (hasAttribute(obj, attr.name)) obj.delete_attribute(attr.name);
    obj.create_attribute(attr.name, attr.values, attr.shape, h5wasmDtype(attr.type));
  }
}

/** Sets plain attributes: strings as variable-length UTF-8, integers as int64, other numbers as float64. */
export function setPlainAttributes(obj: AttributeHolder, attrs: Readonly<Record<string, string | number>>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (hasAttribute(obj, name)) obj.delete_attribute(name);
    if (typeof value === "string") obj.create_attribute(name, value);
    else obj.create_attribute(name, value, null, Number.isInteger(value) ? "<q" : "<d");
  }
}

/** Sets a variable-length UTF-8 string attribute; with `onlyIfMissing`, an existing one is kept. */
export function setStringAttribute(
  obj: AttributeHolder,
  name: string,
  value: string,
  options: { onlyIfMissing?: boolean } = {},
): void {
  if (hasAttribute(obj, name)) {
    if (options.onlyIfMissing) return;
    obj.delete_attribute(name);
  }
  obj.create_attribute(name, value);
}

/** Whether `obj` has an attribute `name`. */
export function hasAttribute(obj: AttributeHolder, name: string): boolean {
  return Module.get_attribute_names(obj.file_id, obj.path).includes(name);
}
