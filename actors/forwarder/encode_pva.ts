/**
 * The forwarder's encoding of pvAccess updates (ESS forwarder, reference B.2): NTScalar/NTScalarArray/NTEnum into
 * f144, f142 or tdct (every pvData numeric type has its own union member), NTTable into se00 or senv, and the alarm
 * into al00 with the PVA `alarm.message`. Pure functions over `schemas/`; the CA encodings are in `encode.ts`.
 *
 * @module
 */
import { al00, f142, f144, se00, senv, tdct } from "../../schemas/mod.ts";
import type { PvaScalarType, PvaUpdate } from "../../protocols/forwarder.ts";
import { UnsupportedValueError } from "./encode.ts";

/** f144/f142 union member names by pvData type (arrays prefix `Array`); booleans travel as UByte 0/1. */
const MEMBER: Record<Exclude<PvaScalarType, "string">, string> = {
  boolean: "UByte",
  byte: "Byte",
  ubyte: "UByte",
  short: "Short",
  ushort: "UShort",
  int: "Int",
  uint: "UInt",
  long: "Long",
  ulong: "ULong",
  float: "Float",
  double: "Double",
};

/** se00/senv union member names by pvData type. */
const SE_MEMBER: Partial<Record<PvaScalarType, string>> = {
  byte: "Int8Array",
  ubyte: "UInt8Array",
  short: "Int16Array",
  ushort: "UInt16Array",
  int: "Int32Array",
  uint: "UInt32Array",
  long: "Int64Array",
  ulong: "UInt64Array",
  float: "FloatArray",
  double: "DoubleArray",
};

function numeric(pv: string, schema: string, u: PvaUpdate): { value_type: string; value: { value: unknown } } {
  if (u.type === "string") {
    throw new UnsupportedValueError(`Cannot forward ${pv} as ${schema}: string PVs have no ${schema} value type`);
  }
  if (u.timestamps) throw new UnsupportedValueError(`Cannot forward ${pv} as ${schema}: it is an NTTable`);
  const name = MEMBER[u.type];
  if (u.type === "boolean") {
    const v = u.array ? Uint8Array.from(u.value as boolean[], (b) => (b ? 1 : 0)) : (u.value ? 1 : 0);
    return { value_type: u.array ? `Array${name}` : name, value: { value: v } };
  }
  return { value_type: u.array ? `Array${name}` : name, value: { value: u.value } };
}

/** f144 for one update. @throws {UnsupportedValueError} for strings and tables. */
export function encodeF144Pva(pv: string, u: PvaUpdate): Uint8Array {
  return f144.encode({ source_name: pv, timestamp: u.timestampNs, ...numeric(pv, "f144", u) } as never);
}

/** EPICS severity (0..3, 4 undefined) → f142's AlarmSeverity numbering. */
const F142_SEVERITY = [2, 0, 1, 3, 3];

/** f142 for one update (status: the PVA alarm status). @throws {UnsupportedValueError} for strings and tables. */
export function encodeF142Pva(pv: string, u: PvaUpdate): Uint8Array {
  return f142.encode({
    source_name: pv,
    timestamp: u.timestampNs,
    status: u.status,
    severity: F142_SEVERITY[u.severity] ?? 3,
    ...numeric(pv, "f142", u),
  } as never);
}

/** tdct from an integer array of ns offsets; null when empty. @throws {UnsupportedValueError} otherwise. */
export function encodeTdctPva(pv: string, u: PvaUpdate, sequence: number): Uint8Array | null {
  const integer = ["byte", "ubyte", "short", "ushort", "int", "uint", "long", "ulong"].includes(u.type);
  if (!integer || u.timestamps) {
    throw new UnsupportedValueError(`Cannot forward ${pv} as tdct: needs an integer NTScalarArray, got ${u.type}`);
  }
  const offsets = u.array ? u.value as ArrayLike<number | bigint> : [u.value as number | bigint];
  if (offsets.length === 0) return null;
  const timestamps = new BigUint64Array(offsets.length);
  for (let i = 0; i < offsets.length; i++) timestamps[i] = u.timestampNs + BigInt(offsets[i]);
  return tdct.encode({ name: pv, timestamps, sequence_counter: sequence });
}

/**
 * se00 (`nttable_se00`) or senv (`nttable_senv`) from an NTTable's `value` and `timestamp` columns; null when the
 * table is empty. senv has no floating-point members. @throws {UnsupportedValueError} for anything else.
 */
export function encodeTablePva(pv: string, u: PvaUpdate, schema: "se00" | "senv", counter: number): Uint8Array | null {
  const member = SE_MEMBER[u.type];
  if (!u.timestamps || !member || (schema === "senv" && (u.type === "float" || u.type === "double"))) {
    throw new UnsupportedValueError(
      `Cannot forward ${pv} as nttable_${schema}: needs an NTTable with a numeric "value" column${
        schema === "senv" ? " of integers" : ""
      } and a "timestamp" column, got ${u.timestamps ? u.type : "no table"}`,
    );
  }
  const values = u.value as ArrayLike<number>;
  if (values.length === 0) return null;
  const t = u.timestamps;
  const delta = t.length > 1 ? Number(t[1] - t[0]) : 0;
  if (schema === "se00") {
    return se00.encode({
      name: pv,
      packet_timestamp: u.timestampNs,
      time_delta: delta,
      timestamps: t,
      message_counter: counter,
      values_type: member,
      values: { value: values },
    } as never);
  }
  return senv.encode({
    Name: pv,
    PacketTimestamp: u.timestampNs,
    TimeDelta: delta,
    Timestamps: BigUint64Array.from(t, (x) => BigInt.asUintN(64, x)),
    MessageCounter: counter,
    Values_type: member,
    Values: { value: values },
  } as never);
}

/** al00 with the PVA alarm message (severity 4 "undefined" as INVALID). */
export function encodeAl00Pva(pv: string, u: PvaUpdate): Uint8Array {
  return al00.encode({
    source_name: pv,
    timestamp: u.timestampNs,
    severity: Math.min(u.severity, 3),
    message: u.message,
  });
}
