/**
 * The pvData type system of a pvAccess client (reference `epics-protocols.md` §2.3, §2.9): field descriptions
 * ("introspection") with the per-connection cache, full values, and partial (BitSet-selected) updates merged into a
 * cached copy. Pure code over {@linkcode PvaReader}; bad input raises {@linkcode PvaDecodeError}.
 *
 * Values: scalars as `number` (64-bit integers as `bigint`), `boolean`, `string`; numeric arrays as typed arrays
 * (copied, so they own their buffer), string arrays as `string[]`; structures as plain objects by field name;
 * unions as `{ selector, value }`, variants as `{ type, value }`; structure arrays as arrays of objects or null.
 *
 * @module
 */
import { hasBit, PvaDecodeError, type PvaReader, type PvaWriter } from "./wire.ts";
import type { NumericArray } from "../../../protocols/arrays.ts";

/** A pvData scalar type. */
export type ScalarType =
  | "boolean"
  | "byte"
  | "short"
  | "int"
  | "long"
  | "ubyte"
  | "ushort"
  | "uint"
  | "ulong"
  | "float"
  | "double"
  | "string";

/** One member of a structure or union. */
export interface Member {
  name: string;
  type: FieldDesc;
}

/** A field description. Structures know how many BitSet bits their sub-tree takes (`bits`, themselves included). */
export type FieldDesc =
  | { kind: "scalar"; scalar: ScalarType }
  | { kind: "array"; scalar: ScalarType }
  | { kind: "structure"; id: string; members: Member[]; bits: number }
  | { kind: "union"; id: string; members: Member[] }
  | { kind: "structureArray" | "unionArray"; element: FieldDesc }
  | { kind: "variant" | "variantArray" };

/** A decoded value (see the module doc). */
export type PvValue =
  | number
  | bigint
  | boolean
  | string
  | string[]
  | NumericArray
  | boolean[]
  | PvStructure
  | { selector: number; value: PvValue | null }
  | { type: FieldDesc | null; value: PvValue | null }
  | (PvValue | null)[];

/** A structure value. */
export interface PvStructure {
  [field: string]: PvValue;
}

/** The typed arrays numeric pvData arrays arrive as. */
export type { NumericArray };

const INTS: ScalarType[] = ["byte", "short", "int", "long", "ubyte", "ushort", "uint", "ulong"];
const ARRAY_OF = {
  byte: Int8Array,
  ubyte: Uint8Array,
  short: Int16Array,
  ushort: Uint16Array,
  int: Int32Array,
  uint: Uint32Array,
  long: BigInt64Array,
  ulong: BigUint64Array,
  float: Float32Array,
  double: Float64Array,
} as const;
const MAX_DEPTH = 32;

/** Bytes of one element of a numeric scalar type. */
export function scalarBytes(t: ScalarType): number {
  return t === "boolean" || t === "string" ? 1 : ARRAY_OF[t].BYTES_PER_ELEMENT;
}

/** The introspection cache of one connection (ids the server defined with 0xFD). */
export type TypeCache = Map<number, FieldDesc>;

/** Reads a FieldDesc; null for the null type (0xFF). */
export function readFieldDesc(r: PvaReader, cache: TypeCache, depth = 0): FieldDesc | null {
  if (depth > MAX_DEPTH) throw new PvaDecodeError("type nested too deeply");
  const code = r.u8();
  if (code === 0xff) return null;
  if (code === 0xfe) {
    const id = r.i16();
    const known = cache.get(id);
    if (!known) throw new PvaDecodeError(`unknown cached type id ${id}`);
    return known;
  }
  if (code === 0xfd || code === 0xfc) {
    const id = r.i16();
    if (code === 0xfc) r.i32();
    const desc = readFieldDesc(r, cache, depth + 1);
    if (!desc) throw new PvaDecodeError(`cache entry ${id} defined as the null type`);
    cache.set(id, desc);
    return desc;
  }
  return readTypeCode(code, r, cache, depth);
}

function readTypeCode(code: number, r: PvaReader, cache: TypeCache, depth: number): FieldDesc {
  const flavour = (code >> 3) & 3;
  if (flavour >= 2) r.size(); // bounded or fixed array: the bound, unused
  const kind = code & 0xe0;
  const low = code & 7;
  if (kind === 0x80) {
    if (low === 3) {
      if (flavour !== 0) throw new PvaDecodeError(`type code 0x${code.toString(16)}`);
      r.size();
      return { kind: "scalar", scalar: "string" };
    }
    if (low > 2) throw new PvaDecodeError(`type code 0x${code.toString(16)}`);
    if (flavour !== 0) {
      if (low === 2) return { kind: "variantArray" };
      const element = readFieldDesc(r, cache, depth + 1);
      if (!element || element.kind !== (low === 0 ? "structure" : "union")) {
        throw new PvaDecodeError(`array of ${low === 0 ? "structures" : "unions"} without its element type`);
      }
      return { kind: low === 0 ? "structureArray" : "unionArray", element };
    }
    if (low === 2) return { kind: "variant" };
    const id = r.string();
    const n = r.count(2);
    const members: Member[] = [];
    for (let i = 0; i < n; i++) {
      const name = r.string();
      const type = readFieldDesc(r, cache, depth + 1);
      if (!type) throw new PvaDecodeError(`member ${name} has the null type`);
      members.push({ name, type });
    }
    if (low === 1) return { kind: "union", id, members };
    return { kind: "structure", id, members, bits: 1 + members.reduce((n, m) => n + bitsOf(m.type), 0) };
  }
  const scalar = scalarOf(kind, low);
  if (!scalar) throw new PvaDecodeError(`type code 0x${code.toString(16)}`);
  return flavour === 0 ? { kind: "scalar", scalar } : { kind: "array", scalar };
}

function scalarOf(kind: number, low: number): ScalarType | null {
  if (kind === 0x00) return low === 0 ? "boolean" : null;
  if (kind === 0x20) return INTS[low];
  if (kind === 0x40) return low === 2 ? "float" : low === 3 ? "double" : null;
  if (kind === 0x60) return low === 0 ? "string" : null;
  return null;
}

/** BitSet bits a field takes: its own, plus its descendants' for a structure. */
export function bitsOf(t: FieldDesc): number {
  return t.kind === "structure" ? t.bits : 1;
}

/** Reads a whole value of type `t`. */
export function readValue(r: PvaReader, t: FieldDesc, cache: TypeCache, depth = 0): PvValue {
  if (depth > MAX_DEPTH) throw new PvaDecodeError("value nested too deeply");
  switch (t.kind) {
    case "scalar":
      return readScalar(r, t.scalar);
    case "array":
      return readArray(r, t.scalar);
    case "structure": {
      const out: PvStructure = {};
      for (const m of t.members) out[m.name] = readValue(r, m.type, cache, depth + 1);
      return out;
    }
    case "union": {
      const selector = r.size();
      if (selector < 0) return { selector: -1, value: null };
      const m = t.members[selector];
      if (!m) throw new PvaDecodeError(`union selector ${selector} of ${t.members.length} members`);
      return { selector, value: readValue(r, m.type, cache, depth + 1) };
    }
    case "variant": {
      const type = readFieldDesc(r, cache, depth + 1);
      return { type, value: type ? readValue(r, type, cache, depth + 1) : null };
    }
    case "structureArray":
    case "unionArray":
    case "variantArray": {
      const n = r.count(1);
      const out: (PvValue | null)[] = [];
      const element: FieldDesc = "element" in t ? t.element : { kind: "variant" };
      for (let i = 0; i < n; i++) {
        const present = t.kind === "variantArray" || r.u8() !== 0;
        out.push(present ? readValue(r, element, cache, depth + 1) : null);
      }
      return out;
    }
  }
}

function readScalar(r: PvaReader, t: ScalarType): number | bigint | boolean | string {
  switch (t) {
    case "boolean":
      return r.u8() !== 0;
    case "byte":
      return r.i8();
    case "ubyte":
      return r.u8();
    case "short":
      return r.i16();
    case "ushort":
      return r.u16();
    case "int":
      return r.i32();
    case "uint":
      return r.u32();
    case "long":
      return r.i64();
    case "ulong":
      return r.u64();
    case "float":
      return r.f32();
    case "double":
      return r.f64();
    case "string":
      return r.string();
  }
}

function readArray(r: PvaReader, t: ScalarType): string[] | boolean[] | NumericArray {
  if (t === "string") {
    const n = r.count(1);
    return Array.from({ length: n }, () => r.string());
  }
  if (t === "boolean") return Array.from(r.take(r.count(1)), (b) => b !== 0);
  const Ctor = ARRAY_OF[t];
  const n = r.count(Ctor.BYTES_PER_ELEMENT);
  const bytes = r.take(n * Ctor.BYTES_PER_ELEMENT);
  if (r.littleEndian) return new Ctor(bytes.slice().buffer);
  const out = new Ctor(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sub = new PvaReaderLike(view);
  for (let i = 0; i < n; i++) (out as unknown as (number | bigint)[])[i] = sub.read(t, i);
  return out;
}

/** Big-endian element access for numeric arrays. */
class PvaReaderLike {
  constructor(private view: DataView) {}
  read(t: Exclude<ScalarType, "string" | "boolean">, i: number): number | bigint {
    const v = this.view;
    switch (t) {
      case "byte":
        return v.getInt8(i);
      case "ubyte":
        return v.getUint8(i);
      case "short":
        return v.getInt16(i * 2);
      case "ushort":
        return v.getUint16(i * 2);
      case "int":
        return v.getInt32(i * 4);
      case "uint":
        return v.getUint32(i * 4);
      case "long":
        return v.getBigInt64(i * 8);
      case "ulong":
        return v.getBigUint64(i * 8);
      case "float":
        return v.getFloat32(i * 4);
      case "double":
        return v.getFloat64(i * 8);
    }
  }
}

/**
 * Reads a partial structure value: the fields whose bit is in `changed` (bit 0 = `t` itself; a set structure bit
 * carries its whole sub-tree), merged into `into` (the cached copy, changed in place). `bit` is `t`'s bit number.
 */
export function readPartial(
  r: PvaReader,
  t: FieldDesc & { kind: "structure" },
  changed: Uint8Array,
  into: PvStructure,
  cache: TypeCache,
  bit = 0,
): void {
  if (hasBit(changed, bit)) {
    Object.assign(into, readValue(r, t, cache));
    return;
  }
  let b = bit + 1;
  for (const m of t.members) {
    if (m.type.kind === "structure") {
      const child = (typeof into[m.name] === "object" ? into[m.name] : (into[m.name] = {})) as PvStructure;
      readPartial(r, m.type, changed, child, cache, b);
    } else if (hasBit(changed, b)) {
      into[m.name] = readValue(r, m.type, cache, 1);
    }
    b += bitsOf(m.type);
  }
}

/** Writes a structure type whose members are all structures or strings (a pvRequest's type). */
export function writeRequestType(w: PvaWriter, fields: RequestTree): void {
  const names = Object.keys(fields);
  w.u8(0x80).string("").size(names.length);
  for (const name of names) {
    w.string(name);
    const f = fields[name];
    if (typeof f === "string") w.u8(0x60);
    else writeRequestType(w, f);
  }
}

/** Writes the string values of a pvRequest tree in field order. */
export function writeRequestValue(w: PvaWriter, fields: RequestTree): void {
  for (const f of Object.values(fields)) {
    if (typeof f === "string") w.string(f);
    else writeRequestValue(w, f);
  }
}

/** A pvRequest as nested structures; strings are option values. */
export interface RequestTree {
  [name: string]: RequestTree | string;
}
