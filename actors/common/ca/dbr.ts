/**
 * EPICS Channel Access DBR types: numbering (base type + class), the byte layout of each (plain, STS, TIME, GR, CTRL
 * for string, short, float, enum, char, long, double), encoding with conversion from a PV's native values, and
 * decoding, big-endian as on the CA wire. Shared by the sim's CA server and the forwarder's CA client. Layouts follow
 * `shared/reference/epics-protocols.md` §1.12. Pure code.
 *
 * @module
 */

/** The CA base types, in DBR order (DBR_STRING = 0 … DBR_DOUBLE = 6). */
export const CA_TYPES = ["string", "short", "float", "enum", "char", "long", "double"] as const;
/** A CA base type. */
export type CaType = typeof CA_TYPES[number];
/** The DBR classes, in order (type number = base + 7 × class index). */
export const DBR_CLASSES = ["plain", "sts", "time", "gr", "ctrl"] as const;
/** A DBR class. */
export type DbrClass = typeof DBR_CLASSES[number];
/** Typed arrays numeric CA values decode into. */
export type CaArray = Int16Array | Float32Array | Uint16Array | Uint8Array | Int32Array | Float64Array;

/** Size of a DBR_STRING element (`MAX_STRING_SIZE`). */
export const MAX_STRING = 40;
/** Seconds from the POSIX epoch to the EPICS epoch (1990-01-01). */
export const EPICS_EPOCH_S = 631_152_000n;
const UNITS = 8;
const ENUM_STRINGS = 16;
const ENUM_STRING_SIZE = 26;
const SIZE: Record<CaType, number> = { string: 40, short: 2, float: 4, enum: 2, char: 1, long: 4, double: 8 };
const STS_AT: Record<CaType, number> = { string: 4, short: 4, float: 4, enum: 4, char: 5, long: 4, double: 8 };
const TIME_AT: Record<CaType, number> = { string: 12, short: 14, float: 12, enum: 14, char: 15, long: 12, double: 16 };
const ARRAYS = { short: Int16Array, float: Float32Array, enum: Uint16Array, char: Uint8Array, long: Int32Array };
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Display, alarm and control limits (GR and CTRL classes). NaN = unset (sent as NaN for floats, 0 for integers). */
export interface DbrLimits {
  upperDisp: number;
  lowerDisp: number;
  upperAlarm: number;
  upperWarning: number;
  lowerWarning: number;
  lowerAlarm: number;
  upperCtrl: number;
  lowerCtrl: number;
}

/** What a DBR carries besides the values. */
export interface DbrMeta {
  status: number;
  severity: number;
  /** ns since the POSIX epoch. */
  timestampNs: bigint;
  units: string;
  precision: number;
  limits: DbrLimits;
  enumStrings: readonly string[];
}

/** A decoded DBR: the class's metadata (absent fields undefined) and the values. */
export interface DecodedDbr {
  type: CaType;
  cls: DbrClass;
  status?: number;
  severity?: number;
  timestampNs?: bigint;
  units?: string;
  precision?: number;
  limits?: Partial<DbrLimits>;
  enumStrings?: string[];
  values: CaArray | Float64Array | string[];
}

const LIMIT_ORDER = [
  "upperDisp",
  "lowerDisp",
  "upperAlarm",
  "upperWarning",
  "lowerWarning",
  "lowerAlarm",
  "upperCtrl",
  "lowerCtrl",
] as const;

/** The DBR type number of a base type in a class. */
export function dbrType(type: CaType, cls: DbrClass): number {
  return CA_TYPES.indexOf(type) + 7 * DBR_CLASSES.indexOf(cls);
}

/** The base type and class of a DBR type number, or null for numbers this codec does not handle (≥ 35). */
export function parseDbrType(n: number): { type: CaType; cls: DbrClass } | null {
  if (!Number.isInteger(n) || n < 0 || n >= 35) return null;
  return { type: CA_TYPES[n % 7], cls: DBR_CLASSES[Math.floor(n / 7)] };
}

/** Bytes of one element of `type`. */
export function elementSize(type: CaType): number {
  return SIZE[type];
}

/** Where the metadata fields of a GR/CTRL numeric type sit, and where its value starts. */
function graphicLayout(type: CaType, ctrl: boolean) {
  const precision = type === "float" || type === "double";
  const unitsAt = precision ? 8 : 4;
  const limitsAt = unitsAt + UNITS;
  const limits = ctrl ? 8 : 6;
  return { precision, unitsAt, limitsAt, limits, valueAt: limitsAt + limits * SIZE[type] + (type === "char" ? 1 : 0) };
}

/** Offset of the first element in a DBR of `type` and class `cls` (libca's `dbr_value_offset`). */
export function valueOffset(type: CaType, cls: DbrClass): number {
  if (cls === "plain") return 0;
  if (cls === "time") return TIME_AT[type];
  if (cls === "sts" || type === "string") return STS_AT[type];
  if (type === "enum") return 6 + ENUM_STRINGS * ENUM_STRING_SIZE;
  return graphicLayout(type, cls === "ctrl").valueAt;
}

/** Payload bytes of a DBR with `count` elements, padded to 8 as CA messages are. */
export function dbrBytes(type: CaType, cls: DbrClass, count: number): number {
  return pad8(valueOffset(type, cls) + count * SIZE[type]);
}

/** `n` rounded up to a multiple of 8. */
export function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** Writes `s` as UTF-8 into `size` bytes at `at`, cut to leave a NUL. */
export function writeCString(bytes: Uint8Array, at: number, s: string, size: number): void {
  const encoded = utf8.encode(s);
  bytes.set(encoded.subarray(0, size - 1), at);
}

/** Reads a NUL-terminated string of at most `size` bytes at `at` (bytes after the NUL are ignored). */
export function readCString(bytes: Uint8Array, at: number, size: number): string {
  const end = Math.min(at + size, bytes.length);
  const nul = bytes.indexOf(0, at);
  return text.decode(bytes.subarray(at, nul < 0 || nul > end ? end : nul));
}

/** A number as a value of `type`: integers rounded and wrapped or clamped as C would store them. */
function integral(type: CaType, x: number): number {
  if (!Number.isFinite(x)) return 0;
  const r = Math.round(x);
  if (type === "short") return Math.max(-32768, Math.min(32767, r));
  if (type === "enum") return Math.max(0, Math.min(65535, r));
  if (type === "char") return r & 0xff;
  return Math.max(-2147483648, Math.min(2147483647, r));
}

/** A native value as the string a DBR_STRING read returns (numbers with the PV's precision, enums as state names). */
export function formatValue(native: CaType, value: number | string, meta: Pick<DbrMeta, "precision" | "enumStrings">) {
  if (typeof value === "string") return value;
  if (native === "enum") return meta.enumStrings[value] ?? String(value);
  if (native === "double" || native === "float") {
    return meta.precision > 0 ? value.toFixed(Math.min(meta.precision, 17)) : String(value);
  }
  return String(value);
}

/** A string as a number of `native` (enum state names by index); NaN when it is not one. */
export function parseValue(native: CaType, s: string, enumStrings: readonly string[]): number {
  if (native === "enum") {
    const at = enumStrings.indexOf(s.trim());
    if (at >= 0) return at;
  }
  const t = s.trim();
  return t === "" ? NaN : Number(t);
}

function writeNumber(view: DataView, at: number, type: CaType, x: number, le: boolean): void {
  switch (type) {
    case "double":
      return view.setFloat64(at, x, le);
    case "float":
      return view.setFloat32(at, x, le);
    case "long":
      return view.setInt32(at, integral(type, x), le);
    case "short":
      return view.setInt16(at, integral(type, x), le);
    case "enum":
      return view.setUint16(at, integral(type, x), le);
    default:
      return view.setUint8(at, integral(type, x));
  }
}

function readNumber(view: DataView, at: number, type: CaType, le: boolean): number {
  switch (type) {
    case "double":
      return view.getFloat64(at, le);
    case "float":
      return view.getFloat32(at, le);
    case "long":
      return view.getInt32(at, le);
    case "short":
      return view.getInt16(at, le);
    case "enum":
      return view.getUint16(at, le);
    default:
      return view.getUint8(at);
  }
}

/**
 * Encodes a DBR of number `dbr` with `count` elements (zero-filled past the values given), converting from the PV's
 * `native` values (numbers, or strings for a string PV); big-endian, zero-padded to 8. `headroom` bytes are left
 * free in front (for a message header, so that a reply takes one allocation).
 */
export function encodeDbr(
  dbr: number,
  native: CaType,
  values: ArrayLike<number> | readonly string[],
  count: number,
  meta: DbrMeta,
  headroom = 0,
): Uint8Array {
  const parsed = parseDbrType(dbr);
  if (!parsed) throw new RangeError(`DBR type ${dbr} is not supported`);
  const { type, cls } = parsed;
  const whole = new Uint8Array(headroom + dbrBytes(type, cls, count));
  const bytes = whole.subarray(headroom);
  const view = new DataView(whole.buffer, headroom);
  if (cls !== "plain") {
    view.setInt16(0, meta.status);
    view.setInt16(2, meta.severity);
  }
  if (cls === "time") {
    const seconds = meta.timestampNs / 1_000_000_000n;
    view.setUint32(4, Number(seconds - EPICS_EPOCH_S) >>> 0);
    view.setUint32(8, Number(meta.timestampNs - seconds * 1_000_000_000n));
  } else if ((cls === "gr" || cls === "ctrl") && type === "enum") {
    const n = Math.min(meta.enumStrings.length, ENUM_STRINGS);
    view.setInt16(4, n);
    for (let i = 0; i < n; i++) writeCString(bytes, 6 + i * ENUM_STRING_SIZE, meta.enumStrings[i], ENUM_STRING_SIZE);
  } else if ((cls === "gr" || cls === "ctrl") && type !== "string") {
    const g = graphicLayout(type, cls === "ctrl");
    if (g.precision) view.setInt16(4, meta.precision);
    writeCString(bytes, g.unitsAt, meta.units, UNITS);
    for (let i = 0; i < g.limits; i++) {
      const x = meta.limits[LIMIT_ORDER[i]];
      writeNumber(view, g.limitsAt + i * SIZE[type], type, Number.isNaN(x) && !g.precision ? 0 : x, false);
    }
  }
  writeValues(bytes, view, valueOffset(type, cls), type, native, values, Math.min(count, values.length), meta);
  return whole;
}

function writeValues(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  type: CaType,
  native: CaType,
  values: ArrayLike<number> | readonly string[],
  n: number,
  meta: DbrMeta,
): void {
  if (type === "double" && values instanceof Float64Array) {
    for (let i = 0; i < n; i++) view.setFloat64(at + 8 * i, values[i]);
    return;
  }
  const size = SIZE[type];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (type === "string") writeCString(bytes, at + i * size, formatValue(native, v, meta), MAX_STRING);
    else {
      const x = typeof v === "string" ? parseValue(native, v, meta.enumStrings) : v;
      writeNumber(view, at + i * size, type, Number.isNaN(x) && type !== "double" && type !== "float" ? 0 : x, false);
    }
  }
}

/** Decodes the values of a DBR: `count` elements of `type` from `at` (typed arrays are copies). */
export function decodeValues(
  type: CaType,
  count: number,
  bytes: Uint8Array,
  at: number,
): CaArray | Float64Array | string[] {
  if (type === "string") return Array.from({ length: count }, (_, i) => readCString(bytes, at + i * 40, 40));
  const Array_ = type === "double" ? Float64Array : ARRAYS[type];
  const size = SIZE[type];
  if (size === 1) return new Array_(bytes.slice(at, at + count * size).buffer);
  const out = new Array_(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = readNumber(view, at + i * size, type, false);
  return out;
}

/**
 * Decodes a DBR of number `dbr` holding `count` elements; throws a RangeError when `bytes` is too short or the type
 * unknown.
 */
export function decodeDbr(dbr: number, count: number, bytes: Uint8Array): DecodedDbr {
  const parsed = parseDbrType(dbr);
  if (!parsed) throw new RangeError(`DBR type ${dbr} is not supported`);
  const { type, cls } = parsed;
  const at = valueOffset(type, cls);
  // libca sends a single DBR_STRING put as its characters and NUL only (padded to 8), not all 40 bytes
  const need = at + (type === "string" && count > 0 ? (count - 1) * MAX_STRING + 1 : count * SIZE[type]);
  if (bytes.length < need) throw new RangeError(`DBR type ${dbr} × ${count} needs ${need} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DecodedDbr = { type, cls, values: decodeValues(type, count, bytes, at) };
  if (cls === "plain") return out;
  out.status = view.getInt16(0);
  out.severity = view.getInt16(2);
  if (cls === "time") {
    const seconds = BigInt(view.getUint32(4)) + EPICS_EPOCH_S;
    out.timestampNs = seconds * 1_000_000_000n + BigInt(view.getUint32(8));
  } else if ((cls === "gr" || cls === "ctrl") && type === "enum") {
    const n = Math.max(0, Math.min(view.getInt16(4), ENUM_STRINGS));
    out.enumStrings = Array.from(
      { length: n },
      (_, i) => readCString(bytes, 6 + i * ENUM_STRING_SIZE, ENUM_STRING_SIZE),
    );
  } else if ((cls === "gr" || cls === "ctrl") && type !== "string") {
    const g = graphicLayout(type, cls === "ctrl");
    if (g.precision) out.precision = view.getInt16(4);
    out.units = readCString(bytes, g.unitsAt, UNITS);
    out.limits = {};
    for (let i = 0; i < g.limits; i++) {
      out.limits[LIMIT_ORDER[i]] = readNumber(view, g.limitsAt + i * SIZE[type], type, false);
    }
  }
  return out;
}
