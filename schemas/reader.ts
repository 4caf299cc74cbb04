/**
 * Checked, layout-driven decoding of a FlatBuffers message into a plain object. Every offset, length and alignment is
 * checked before it is used (the rules of the C++ `Verifier`), so a malformed buffer ends in a
 * {@linkcode BadBufferError}, never another exception, an endless loop or a read outside the buffer.
 *
 * Numeric vectors are returned as typed arrays that view the message's memory when their start is aligned for the
 * element size (no copy, O(1) in the vector length) and as copies otherwise. 64-bit integers are `bigint`, enums are
 * member names (the number when the value is not a member), unions are `<field>_type` (member name or "NONE") plus
 * `<field>`, absent scalars read as their defaults and absent optional strings, vectors and tables are left out.
 *
 * @module
 */
import { BadBufferError } from "./errors.ts";
import { type FieldLayout, SCALAR_SIZE, type ScalarType, type SchemaLayout, type TableLayout } from "./layout.ts";

/** A decoded table: field name → value. */
export type DecodedTable = Record<string, unknown>;

/**
 * Key of a non-enumerable property of each decoded table: the names of its scalar fields that were absent from the
 * buffer (read as defaults). The JSON form prints a scalar when the buffer holds it, as flatc does.
 */
export const ABSENT: unique symbol = Symbol("absent scalar fields");

type TypedArrayCtor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayBufferView;
  new (buffer: ArrayBufferLike): ArrayBufferView;
};

/** The typed-array class for each scalar type (bool vectors read as bytes). */
export const TYPED_ARRAYS: Record<ScalarType, TypedArrayCtor> = {
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("nxflow schemas need a little-endian host: typed-array views would misread FlatBuffers");
}

const MAX_DEPTH = 32;
const decoder = new TextDecoder();

/** Reads the 4-character file identifier (bytes 4..7), or throws {@linkcode BadBufferError} if shorter than 8. */
export function fileIdentifier(bytes: Uint8Array): string {
  if (bytes.length < 8) throw new BadBufferError("", `message of ${bytes.length} bytes is shorter than 8 bytes`);
  return String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]);
}

/** Decodes a whole message of the given schema; throws {@linkcode BadBufferError} when it is malformed. */
export function readMessage(layout: SchemaLayout, bytes: Uint8Array): DecodedTable {
  const id = fileIdentifier(bytes);
  if (id !== layout.id) throw new BadBufferError(layout.id, `file identifier is ${JSON.stringify(id)}`);
  const reader = new Reader(layout, bytes);
  return reader.table(reader.u32(0, "root offset"), layout.tables[layout.root], layout.root, 0);
}

class Reader {
  readonly view: DataView;
  readonly strings = new Map<number, string>();
  visits = 0;

  constructor(readonly layout: SchemaLayout, readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new BadBufferError(this.layout.id, message);
  }

  /** Checks that `size` bytes at `pos` lie inside the buffer and that `pos` is aligned to `align`. */
  check(pos: number, size: number, align: number, what: string): void {
    if (pos < 0 || pos + size > this.bytes.length) {
      this.fail(`${what} at offset ${pos} (${size} bytes) lies outside the ${this.bytes.length}-byte buffer`);
    }
    if (pos % align !== 0) this.fail(`${what} at offset ${pos} is not aligned to ${align} bytes`);
  }

  u32(pos: number, what: string): number {
    this.check(pos, 4, 4, what);
    return this.view.getUint32(pos, true);
  }

  /** Follows the uoffset stored at `pos`; the target must lie after it, inside the buffer. */
  deref(pos: number, what: string): number {
    const offset = this.u32(pos, what);
    if (offset === 0 || pos + offset >= this.bytes.length) {
      this.fail(`${what} at offset ${pos} points to ${pos + offset}, outside the ${this.bytes.length}-byte buffer`);
    }
    return pos + offset;
  }

  table(pos: number, layout: TableLayout, path: string, depth: number): DecodedTable {
    if (depth > MAX_DEPTH) this.fail(`${path}: tables nested deeper than ${MAX_DEPTH}`);
    if (++this.visits > this.bytes.length) this.fail(`${path}: more table references than the buffer can hold`);
    this.check(pos, 4, 4, `table ${path}`);
    const vtable = pos - this.view.getInt32(pos, true);
    this.check(vtable, 4, 2, `vtable of ${path}`);
    const vtableSize = this.view.getUint16(vtable, true);
    const tableSize = this.view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0) this.fail(`vtable of ${path} has a bad size ${vtableSize}`);
    this.check(vtable, vtableSize, 2, `vtable of ${path}`);
    if (tableSize < 4) this.fail(`table ${path} has a bad size ${tableSize}`);
    this.check(pos, tableSize, 4, `table ${path}`);
    const fieldOffset = (slot: number, size: number, name: string): number => {
      const entry = 4 + 2 * slot;
      const offset = entry < vtableSize ? this.view.getUint16(vtable + entry, true) : 0;
      if (offset !== 0 && (offset < 4 || offset + size > tableSize)) {
        this.fail(`field ${path}.${name} at table offset ${offset} lies outside its ${tableSize}-byte table`);
      }
      return offset;
    };
    const out: DecodedTable = {};
    const absent: string[] = [];
    Object.defineProperty(out, ABSENT, { value: absent, enumerable: false });
    for (const field of layout.fields) {
      const size = field.kind === "scalar" ? SCALAR_SIZE[field.type] : 4;
      const offset = fieldOffset(field.slot, size, field.name);
      const at = pos + offset;
      const where = `${path}.${field.name}`;
      if (field.kind === "union") {
        const tagOffset = fieldOffset(field.slot - 1, 1, `${field.name}_type`);
        const tag = tagOffset ? this.bytes[pos + tagOffset] : 0;
        this.union(field, tag, offset ? at : 0, where, depth, out);
      } else if (field.kind === "scalar") {
        if (!offset) absent.push(field.name);
        out[field.name] = offset
          ? this.scalar(field.type, at, where, field.enum)
          : this.enumName(field.default, field.enum);
      } else if (offset === 0) {
        if (field.required) this.fail(`required field ${where} is missing`);
      } else {
        out[field.name] = this.reference(field, this.deref(at, where), where, depth);
      }
    }
    return out;
  }

  union(field: FieldLayout, tag: number, at: number, where: string, depth: number, out: DecodedTable): void {
    const members = this.layout.unions[(field as { union: string }).union];
    if (tag === 0) {
      if (field.required) this.fail(`required union ${where} is missing (type NONE)`);
      out[`${field.name}_type`] = "NONE";
      return;
    }
    const member = members[tag - 1];
    if (member === undefined) this.fail(`union ${where} has unknown member type ${tag}`);
    if (at === 0) this.fail(`union ${where} of type ${member} has no value`);
    out[`${field.name}_type`] = member;
    out[field.name] = this.table(this.deref(at, where), this.layout.tables[member], member, depth + 1);
  }

  reference(field: FieldLayout, target: number, where: string, depth: number): unknown {
    switch (field.kind) {
      case "string":
        return this.string(target, where);
      case "vector":
        return this.vector(field.element, target, where);
      case "stringVector":
        return this.offsets(target, where).map((p, i) => this.string(this.deref(p, `${where}[${i}]`), where));
      case "tableVector": {
        const table = this.layout.tables[field.table];
        return this.offsets(target, where).map((p, i) =>
          this.table(this.deref(p, `${where}[${i}]`), table, `${where}[${i}]`, depth + 1)
        );
      }
      case "table":
        return this.table(target, this.layout.tables[field.table], where, depth + 1);
      default:
        return this.fail(`${where}: field kind ${field.kind} is not a reference`);
    }
  }

  string(pos: number, where: string): string {
    const cached = this.strings.get(pos);
    if (cached !== undefined) return cached;
    const length = this.u32(pos, `length of string ${where}`);
    this.check(pos + 4, length + 1, 1, `string ${where}`);
    if (this.bytes[pos + 4 + length] !== 0) this.fail(`string ${where} at offset ${pos} is not NUL-terminated`);
    const text = decoder.decode(this.bytes.subarray(pos + 4, pos + 4 + length));
    this.strings.set(pos, text);
    return text;
  }

  /** Positions of the uoffsets of a vector of strings or tables. */
  offsets(pos: number, where: string): number[] {
    const count = this.u32(pos, `length of vector ${where}`);
    this.check(pos + 4, count * 4, 4, `vector ${where}`);
    return Array.from({ length: count }, (_, i) => pos + 4 + 4 * i);
  }

  vector(element: ScalarType, pos: number, where: string): ArrayBufferView {
    const count = this.u32(pos, `length of vector ${where}`);
    const size = SCALAR_SIZE[element];
    this.check(pos + 4, count * size, size, `vector ${where}`);
    const start = this.bytes.byteOffset + pos + 4;
    const Ctor = TYPED_ARRAYS[element];
    if (start % size === 0) return new Ctor(this.bytes.buffer, start, count);
    return new Ctor(this.bytes.slice(pos + 4, pos + 4 + count * size).buffer);
  }

  scalar(type: ScalarType, at: number, where: string, enumName?: string): unknown {
    this.check(at, SCALAR_SIZE[type], SCALAR_SIZE[type], `field ${where}`);
    const v = this.view;
    switch (type) {
      case "bool":
        return v.getUint8(at) !== 0;
      case "int8":
        return this.enumName(v.getInt8(at), enumName);
      case "uint8":
        return this.enumName(v.getUint8(at), enumName);
      case "int16":
        return this.enumName(v.getInt16(at, true), enumName);
      case "uint16":
        return this.enumName(v.getUint16(at, true), enumName);
      case "int32":
        return this.enumName(v.getInt32(at, true), enumName);
      case "uint32":
        return this.enumName(v.getUint32(at, true), enumName);
      case "int64":
        return v.getBigInt64(at, true);
      case "uint64":
        return v.getBigUint64(at, true);
      case "float32":
        return v.getFloat32(at, true);
      case "float64":
        return v.getFloat64(at, true);
    }
  }

  enumName(value: unknown, enumName?: string): unknown {
    if (enumName === undefined) return value;
    const values = this.layout.enums[enumName].values;
    return Object.keys(values).find((name) => values[name] === value) ?? value;
  }
}
