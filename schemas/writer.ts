/**
 * Layout-driven encoding of a plain object into a FlatBuffers message with the npm `flatbuffers` Builder. Required
 * fields, value types and integer ranges are checked first: an object the C++ verifier would reject, or that would
 * silently wrap, is refused with an {@linkcode EncodeError}. Scalars equal to their default are left out, as flatc's
 * builders do. Enums may be given by name or number, unions as `<field>_type` (member name) plus `<field>`, 64-bit
 * integers as `bigint` or safe integers, numeric vectors as typed arrays (copied in bulk) or plain arrays.
 *
 * @module
 */
import { Builder } from "flatbuffers";
import { EncodeError } from "./errors.ts";
import { type FieldLayout, SCALAR_SIZE, type ScalarType, type SchemaLayout, type TableLayout } from "./layout.ts";
import { TYPED_ARRAYS } from "./reader.ts";

const INT_RANGE: Partial<Record<ScalarType, [bigint, bigint]>> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

const NON_FINITE: Record<string, number> = { nan: NaN, inf: Infinity, "+inf": Infinity, "-inf": -Infinity };

/** Encodes `msg` as a message of the given schema; throws {@linkcode EncodeError} when the object is refused. */
export function writeMessage(layout: SchemaLayout, msg: unknown): Uint8Array {
  const writer = new Writer(layout, new Builder(roundUp8(estimate(msg) + 64)));
  const root = writer.table(layout.tables[layout.root], msg, layout.root);
  writer.builder.finish(root, layout.id);
  return writer.builder.asUint8Array();
}

function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** A generous size guess, so that the builder seldom has to grow (and copy). */
function estimate(value: unknown): number {
  if (typeof value === "string") return value.length * 3 + 8;
  if (ArrayBuffer.isView(value)) return value.byteLength + 16;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + estimate(v) + 8, 8);
  if (value !== null && typeof value === "object") {
    return Object.values(value).reduce((sum: number, v) => sum + estimate(v) + 8, 16);
  }
  return 8;
}

class Writer {
  constructor(readonly layout: SchemaLayout, readonly builder: Builder) {}

  fail(path: string, message: string): never {
    throw new EncodeError(this.layout.id, path, message);
  }

  table(table: TableLayout, obj: unknown, path: string): number {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      this.fail(path, `expected an object for table ${table.name}, got ${describe(obj)}`);
    }
    const record = obj as Record<string, unknown>;
    const offsets = new Map<number, number>();
    const tags = new Map<number, number>();
    for (const field of table.fields) {
      if (field.kind === "scalar") continue;
      const where = `${path}.${field.name}`;
      const value = record[field.name];
      if (field.kind === "union") {
        const tag = this.unionTag(field.union, record[`${field.name}_type`], `${where}_type`);
        if (tag === 0 && value !== undefined && value !== null) this.fail(`${where}_type`, "is missing or NONE");
        if (tag === 0) {
          if (field.required) this.fail(where, "required union is missing");
          continue;
        }
        const member = this.layout.unions[field.union][tag - 1];
        tags.set(field.slot - 1, tag);
        offsets.set(field.slot, this.table(this.layout.tables[member], value, `${where}<${member}>`));
      } else if (value === undefined || value === null) {
        if (field.required) this.fail(where, "required field is missing");
      } else {
        offsets.set(field.slot, this.reference(field, value, where));
      }
    }
    const b = this.builder;
    b.startObject(table.slots);
    for (const field of table.fields) {
      if (field.kind !== "scalar") continue;
      const where = `${path}.${field.name}`;
      const value = record[field.name] ?? field.default;
      this.addScalar(field.slot, field.type, this.scalarValue(field.type, value, where, field.enum), field.default);
    }
    for (const [slot, tag] of tags) b.addFieldInt8(slot, tag, 0);
    for (const [slot, offset] of offsets) b.addFieldOffset(slot, offset, 0);
    return b.endObject();
  }

  unionTag(union: string, name: unknown, path: string): number {
    if (name === undefined || name === null || name === "NONE" || name === 0) return 0;
    const members = this.layout.unions[union];
    const tag = typeof name === "number" ? name : members.indexOf(String(name)) + 1;
    if (!Number.isInteger(tag) || tag < 1 || tag > members.length) {
      this.fail(path, `unknown member ${JSON.stringify(name)} of union ${union} (one of ${members.join(", ")})`);
    }
    return tag;
  }

  reference(field: FieldLayout, value: unknown, where: string): number {
    const b = this.builder;
    switch (field.kind) {
      case "string":
        if (typeof value !== "string") this.fail(where, `expected a string, got ${describe(value)}`);
        return b.createString(value);
      case "vector":
        return this.vector(field.element, value, where, field.enum);
      case "stringVector":
        return this.offsetVector(
          this.list(value, where).map((s, i) => {
            if (typeof s !== "string") this.fail(`${where}[${i}]`, `expected a string, got ${describe(s)}`);
            return b.createString(s);
          }),
        );
      case "tableVector": {
        const table = this.layout.tables[field.table];
        return this.offsetVector(this.list(value, where).map((t, i) => this.table(table, t, `${where}[${i}]`)));
      }
      case "table":
        return this.table(this.layout.tables[field.table], value, where);
      default:
        return this.fail(where, `field kind ${field.kind} is not a reference`);
    }
  }

  list(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) this.fail(where, `expected an array, got ${describe(value)}`);
    return value;
  }

  offsetVector(offsets: number[]): number {
    const b = this.builder;
    b.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
    return b.endVector();
  }

  /** Writes a numeric vector; typed arrays of the element type are copied into the builder in one `set`. */
  vector(element: ScalarType, value: unknown, where: string, enumName?: string): number {
    const Ctor = TYPED_ARRAYS[element];
    let typed: ArrayBufferView;
    if (value instanceof Ctor && element !== "bool") typed = value;
    else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
      const items = Array.from(value as ArrayLike<unknown>);
      const converted = items.map((v, i) => this.scalarValue(element, v, `${where}[${i}]`, enumName));
      typed = (Ctor as unknown as { from(a: unknown[]): ArrayBufferView }).from(
        element === "bool" ? converted.map(Number) : converted,
      );
    } else this.fail(where, `expected an array of ${element}, got ${describe(value)}`);
    const size = SCALAR_SIZE[element];
    const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
    const b = this.builder;
    b.startVector(size, bytes.length / size, size);
    // The pinned flatbuffers 25.9.23 Builder keeps its write position in `space`; moving it past the copied
    // elements is what its own createByteVector does, for any element size.
    const internal = b as unknown as { space: number };
    internal.space -= bytes.length;
    b.dataBuffer().bytes().set(bytes, internal.space);
    return b.endVector();
  }

  scalarValue(type: ScalarType, value: unknown, where: string, enumName?: string): number | bigint | boolean {
    if (enumName !== undefined && typeof value === "string") {
      const values = this.layout.enums[enumName].values;
      if (!(value in values)) {
        this.fail(where, `unknown member ${JSON.stringify(value)} of enum ${enumName} (one of ${Object.keys(values)})`);
      }
      value = values[value];
    }
    if (type === "bool") {
      if (typeof value !== "boolean" && value !== 0 && value !== 1) {
        this.fail(where, `expected a boolean, got ${describe(value)}`);
      }
      return Boolean(value);
    }
    if (type === "float32" || type === "float64") {
      if (typeof value === "string" && value in NON_FINITE) return NON_FINITE[value];
      if (typeof value === "bigint") return Number(value);
      if (typeof value !== "number") this.fail(where, `expected a number, got ${describe(value)}`);
      return value;
    }
    const range = INT_RANGE[type]!;
    let big: bigint;
    if (typeof value === "bigint") big = value;
    else if (typeof value === "number" && Number.isInteger(value)) {
      if (!Number.isSafeInteger(value) && (type === "int64" || type === "uint64")) {
        this.fail(where, `${value} is not exact as a number; give ${type} values above 2^53 as bigint`);
      }
      big = BigInt(value);
    } else return this.fail(where, `expected an integer (${type}), got ${describe(value)}`);
    if (big < range[0] || big > range[1]) this.fail(where, `${big} is out of range for ${type}`);
    return type === "int64" || type === "uint64" ? big : Number(big);
  }

  addScalar(slot: number, type: ScalarType, value: number | bigint | boolean, def: number | bigint | boolean): void {
    const b = this.builder;
    switch (type) {
      case "bool":
        return b.addFieldInt8(slot, Number(value), Number(def));
      case "int8":
      case "uint8":
        return b.addFieldInt8(slot, value as number, def as number);
      case "int16":
      case "uint16":
        return b.addFieldInt16(slot, value as number, def as number);
      case "int32":
      case "uint32":
        return b.addFieldInt32(slot, value as number, def as number);
      case "int64":
      case "uint64":
        return b.addFieldInt64(slot, BigInt.asIntN(64, value as bigint), BigInt.asIntN(64, def as bigint));
      case "float32":
        return b.addFieldFloat32(slot, value as number, def as number);
      case "float64":
        return b.addFieldFloat64(slot, value as number, def as number);
    }
  }
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "..." : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return value === null ? "null" : typeof value === "object" ? "an object" : String(value);
}
