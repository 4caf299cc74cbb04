/**
 * Layout-driven encoding of a plain object into a FlatBuffers message with the npm `flatbuffers` Builder. Required
 * fields, value types and integer ranges are checked first: an object the C++ verifier would reject, or that would
 * silently wrap, is refused with an {@linkcode EncodeError}. Scalars equal to their default are left out, as flatc's
 * builders do. Enums may be given by name or number, unions as `<field>_type` (member name) plus `<field>`, 64-bit
 * integers as `bigint` or safe integers, numeric vectors as typed arrays (copied in bulk) or plain arrays.
 *
 * @module
 */
import { Builder, ByteBuffer } from "flatbuffers";
import { EncodeError, TargetTooSmallError } from "./errors.ts";
import { type FieldLayout, SCALAR_SIZE, type ScalarType, type SchemaLayout, type TableLayout } from "./layout.ts";
import { TYPED_ARRAYS } from "./reader.ts";

/** Inclusive integer ranges (numbers and bigints compare exactly with each other). */
const INT_RANGE: Partial<Record<ScalarType, [number | bigint, number | bigint]>> = {
  int8: [-(2 ** 7), 2 ** 7 - 1],
  uint8: [0, 2 ** 8 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  uint16: [0, 2 ** 16 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

const NON_FINITE: Record<string, number> = { nan: NaN, inf: Infinity, "+inf": Infinity, "-inf": -Infinity };

/** Encodes `msg` as a message of the given schema; throws {@linkcode EncodeError} when the object is refused. */
export function writeMessage(layout: SchemaLayout, msg: unknown): Uint8Array {
  const target = new Uint8Array(roundUp8(estimate(msg) + 64));
  return build(layout, msg, target, (builder) => builder.asUint8Array());
}

/**
 * Encodes `msg` into the memory of `target` (FlatBuffers are built back to front, so the message ends at the last
 * 8-aligned byte of `target`) and returns the view of `target` that holds it. Nothing is allocated for the message
 * itself, so a caller that reuses `target` pays only for the copy of its vectors. Throws {@linkcode EncodeError}
 * when the object is refused and {@linkcode TargetTooSmallError} (naming the size needed) when it does not fit.
 */
export function writeMessageInto(layout: SchemaLayout, msg: unknown, target: Uint8Array): Uint8Array {
  const excess = (target.byteOffset + target.length) % 8;
  const usable = excess ? target.subarray(0, target.length - excess) : target;
  return build(layout, msg, usable, (builder, fitted) => {
    // The Builder keeps up to 8 bytes (the largest alignment) free before it finishes, so a target of the message
    // size rounded up to 8, plus 8, always fits.
    if (!fitted) throw new TargetTooSmallError(layout.id, roundUp8(builder.offset()) + 8, target.length);
    return builder.asUint8Array();
  });
}

/**
 * The pinned flatbuffers 25.9.23 Builder keeps its ByteBuffer in `bb` and its write position (counted from the start
 * of the buffer, writing downwards) in `space`; the ByteBuffer keeps its memory in `bytes_`. The encoder points them
 * at the caller's memory, and moves `space` past vectors and strings it writes in bulk, as the Builder's own
 * `createByteVector` does. (Constructing a Builder or ByteBuffer per message costs more than a small message.)
 */
interface BuilderInternals {
  bb: ByteBuffer;
  space: number;
}

interface ByteBufferInternals {
  bytes_: Uint8Array;
}

const NO_BYTES = new Uint8Array(0);
/** One Builder and ByteBuffer reused by every encode (JS runs one at a time; a nested call gets its own). */
const shared = { builder: new Builder(1), buffer: new ByteBuffer(NO_BYTES), busy: false };

/**
 * Runs the Writer with a Builder writing into `bytes` (whose end must be 8-aligned in its ArrayBuffer) and hands the
 * finished Builder to `done`, with `fitted` false when the message outgrew `bytes` and the Builder moved to a copy.
 */
function build(
  layout: SchemaLayout,
  msg: unknown,
  bytes: Uint8Array,
  done: (builder: Builder, fitted: boolean) => Uint8Array,
): Uint8Array {
  const nested = shared.busy;
  const builder = nested ? new Builder(1) : shared.builder;
  const buffer = nested ? new ByteBuffer(bytes) : shared.buffer;
  const internals = builder as unknown as BuilderInternals;
  shared.busy = true;
  try {
    builder.clear();
    (buffer as unknown as ByteBufferInternals).bytes_ = bytes;
    buffer.clear();
    internals.bb = buffer;
    internals.space = bytes.length;
    const writer = new Writer(layout, builder);
    builder.finish(writer.table(layout.tables[layout.root], msg, layout.root), layout.id);
    return done(builder, internals.bb === buffer);
  } finally {
    if (!nested) {
      (buffer as unknown as ByteBufferInternals).bytes_ = NO_BYTES;
      internals.bb = buffer;
      shared.busy = false;
    }
  }
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

/** A value refused without knowing where it sits; the caller that knows the path turns it into an EncodeError. */
class BadValue {
  constructor(readonly message: string) {}
}

class Writer {
  constructor(readonly layout: SchemaLayout, readonly builder: Builder) {}

  fail(path: string, message: string): never {
    throw new EncodeError(this.layout.id, path, message);
  }

  /** Rethrows a {@linkcode BadValue} as the EncodeError of `path`; anything else unchanged. */
  rethrow(error: unknown, path: string): never {
    if (error instanceof BadValue) this.fail(path, error.message);
    throw error;
  }

  table(table: TableLayout, obj: unknown, path: string): number {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      this.fail(path, `expected an object for table ${table.name}, got ${describe(obj)}`);
    }
    const record = obj as Record<string, unknown>;
    // (slot, offset) and (slot, tag) pairs in field order: the order the builder is given them fixes the bytes.
    const references: number[] = [];
    const tags: number[] = [];
    for (const field of table.fields) {
      if (field.kind === "scalar") continue;
      const value = record[field.name];
      if (field.kind === "union") {
        const where = `${path}.${field.name}`;
        const tag = this.unionTag(field.union, record[`${field.name}_type`], `${where}_type`);
        if (tag === 0 && value !== undefined && value !== null) this.fail(`${where}_type`, "is missing or NONE");
        if (tag === 0) {
          if (field.required) this.fail(where, "required union is missing");
          continue;
        }
        const member = this.layout.unions[field.union][tag - 1];
        tags.push(field.slot - 1, tag);
        references.push(field.slot, this.table(this.layout.tables[member], value, `${where}<${member}>`));
      } else if (value === undefined || value === null) {
        if (field.required) this.fail(`${path}.${field.name}`, "required field is missing");
      } else {
        references.push(field.slot, this.reference(field, value, path));
      }
    }
    const b = this.builder;
    b.startObject(table.slots);
    for (const field of table.fields) {
      if (field.kind !== "scalar") continue;
      let value: number | bigint | boolean;
      try {
        value = this.scalarValue(field.type, record[field.name] ?? field.default, field.enum);
      } catch (error) {
        this.rethrow(error, `${path}.${field.name}`);
      }
      this.addScalar(field.slot, field.type, value, field.default);
    }
    for (let i = 0; i < tags.length; i += 2) b.addFieldInt8(tags[i], tags[i + 1], 0);
    for (let i = 0; i < references.length; i += 2) b.addFieldOffset(references[i], references[i + 1], 0);
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

  /** Writes the string, vector or table of `field` (of the table at `path`) and returns its offset. */
  reference(field: FieldLayout, value: unknown, path: string): number {
    const where = () => `${path}.${field.name}`;
    switch (field.kind) {
      case "string":
        if (typeof value !== "string") this.fail(where(), `expected a string, got ${describe(value)}`);
        return this.string(value);
      case "vector":
        return this.vector(field.element, value, where, field.enum);
      case "stringVector":
        return this.offsetVector(
          this.list(value, where()).map((s, i) => {
            if (typeof s !== "string") this.fail(`${where()}[${i}]`, `expected a string, got ${describe(s)}`);
            return this.string(s);
          }),
        );
      case "tableVector": {
        const table = this.layout.tables[field.table];
        return this.offsetVector(this.list(value, where()).map((t, i) => this.table(table, t, `${where()}[${i}]`)));
      }
      case "table":
        return this.table(this.layout.tables[field.table], value, where());
      default:
        return this.fail(where(), `field kind ${field.kind} is not a reference`);
    }
  }

  /**
   * Writes a string as the Builder's `createString` does (NUL, bytes, length), with the UTF-8 written straight into
   * the buffer instead of through a temporary array.
   */
  string(text: string): number {
    const b = this.builder;
    const internal = b as unknown as BuilderInternals;
    const length = utf8Length(text);
    b.addInt8(0);
    b.startVector(1, length, 1);
    internal.space -= length;
    const bytes = internal.bb.bytes();
    const at = internal.space;
    if (length === text.length) { for (let i = 0; i < length; i++) bytes[at + i] = text.charCodeAt(i); }
    else utf8.encodeInto(text, bytes.subarray(at, at + length));
    return b.endVector();
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

  /**
   * Writes a numeric vector. A typed array of the element type needs no checks and is copied into the builder in
   * one `set`; anything else array-like is checked element by element into such a typed array first.
   */
  vector(element: ScalarType, value: unknown, where: () => string, enumName?: string): number {
    const Ctor = TYPED_ARRAYS[element];
    let typed: ArrayBufferView;
    if (value instanceof Ctor && element !== "bool") typed = value;
    else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
      const items = value as ArrayLike<unknown>;
      const out = new Ctor(new ArrayBuffer(items.length * SCALAR_SIZE[element])) as unknown as {
        [i: number]: unknown;
      };
      let i = 0;
      try {
        for (; i < items.length; i++) out[i] = toElement(element, this.scalarValue(element, items[i], enumName));
      } catch (error) {
        this.rethrow(error, `${where()}[${i}]`);
      }
      typed = out as unknown as ArrayBufferView;
    } else this.fail(where(), `expected an array of ${element}, got ${describe(value)}`);
    const size = SCALAR_SIZE[element];
    const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
    const b = this.builder;
    b.startVector(size, bytes.length / size, size);
    const internal = b as unknown as BuilderInternals;
    internal.space -= bytes.length;
    internal.bb.bytes().set(bytes, internal.space);
    return b.endVector();
  }

  /** Checks and converts one scalar (enum members by name or number); throws {@linkcode BadValue} when refused. */
  scalarValue(type: ScalarType, value: unknown, enumName?: string): number | bigint | boolean {
    if (enumName !== undefined && typeof value === "string") {
      const values = this.layout.enums[enumName].values;
      if (!Object.hasOwn(values, value)) {
        throw new BadValue(
          `unknown member ${JSON.stringify(value)} of enum ${enumName} (one of ${Object.keys(values)})`,
        );
      }
      value = values[value];
    }
    if (type === "bool") {
      if (typeof value !== "boolean" && value !== 0 && value !== 1) {
        throw new BadValue(`expected a boolean, got ${describe(value)}`);
      }
      return Boolean(value);
    }
    if (type === "float32" || type === "float64") {
      if (typeof value === "number") return value;
      if (typeof value === "string" && Object.hasOwn(NON_FINITE, value)) return NON_FINITE[value];
      if (typeof value === "bigint") return Number(value);
      throw new BadValue(`expected a number, got ${describe(value)}`);
    }
    const [lo, hi] = INT_RANGE[type]!;
    if (typeof value === "number" && Number.isInteger(value)) {
      if (type === "int64" || type === "uint64") {
        if (!Number.isSafeInteger(value)) {
          throw new BadValue(`${value} is not exact as a number; give ${type} values above 2^53 as bigint`);
        }
        if (value < lo || value > hi) throw new BadValue(`${value} is out of range for ${type}`);
        return BigInt(value);
      }
      if (value < lo || value > hi) throw new BadValue(`${value} is out of range for ${type}`);
      return value;
    }
    if (typeof value !== "bigint") throw new BadValue(`expected an integer (${type}), got ${describe(value)}`);
    if (value < lo || value > hi) throw new BadValue(`${value} is out of range for ${type}`);
    return type === "int64" || type === "uint64" ? value : Number(value);
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

const utf8 = new TextEncoder();

/** Length in UTF-8 of `text` as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) length += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
      i++;
    } else length += 2;
  }
  return length;
}

/** A checked scalar as its typed-array element (bools as 0/1). */
function toElement(type: ScalarType, value: number | bigint | boolean): number | bigint {
  return type === "bool" ? Number(value) : value as number | bigint;
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "..." : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return value === null ? "null" : typeof value === "object" ? "an object" : String(value);
}
