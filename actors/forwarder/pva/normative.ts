/**
 * Normative types to forwarder updates (reference `epics-protocols.md` §2.10): NTScalar and NTScalarArray (any
 * scalar type), NTEnum (its index, as ESS's forwarder does) and NTTable (its `value` and `timestamp` columns), with
 * `alarm` and `timeStamp` looked up by name (servers differ in ids and extra fields). Anything else is refused
 * with a reason.
 *
 * @module
 */
import type { PvaArray, PvaScalarType, PvaUpdate } from "../../../protocols/forwarder.ts";
import type { FieldDesc, PvStructure } from "./types.ts";

/** A structure that cannot be forwarded. */
export class UnsupportedTypeError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedTypeError";
  }
}

type Structure = FieldDesc & { kind: "structure" };

function member(t: Structure, name: string): FieldDesc | undefined {
  return t.members.find((m) => m.name === name)?.type;
}

function integer(x: number): number {
  return Number.isFinite(x) ? Math.trunc(x) : 0;
}

function num(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : 0;
}

/** Converts the cached value of a monitor into an update. @throws {UnsupportedTypeError} */
export function toUpdate(pv: string, t: Structure, v: PvStructure): PvaUpdate {
  const alarm = (v.alarm ?? {}) as PvStructure;
  const time = (v.timeStamp ?? {}) as PvStructure;
  const seconds = typeof time.secondsPastEpoch === "bigint"
    ? time.secondsPastEpoch
    : BigInt(num(time.secondsPastEpoch));
  const base = {
    protocol: "PVA" as const,
    severity: num(alarm.severity),
    status: num(alarm.status),
    message: typeof alarm.message === "string" ? alarm.message : "",
    timestampNs: seconds * 1_000_000_000n + BigInt(num(time.nanoseconds)),
  };
  const vt = member(t, "value");
  if (!vt) throw new UnsupportedTypeError(`${pv} (${t.id || "structure"}) has no value field`);
  if (v.value === undefined) throw new UnsupportedTypeError(`${pv}: an update without a value`);
  if (vt.kind === "scalar") return { ...base, type: vt.scalar, value: v.value as number, array: false };
  if (vt.kind === "array") return { ...base, type: vt.scalar, value: v.value as PvaArray, array: true };
  if (vt.kind === "structure" && member(vt, "index")) {
    return { ...base, type: "int", value: num((v.value as PvStructure).index), array: false };
  }
  if (vt.kind === "structure" && t.id.startsWith("epics:nt/NTTable")) {
    return table(pv, vt, v.value as PvStructure, base);
  }
  throw new UnsupportedTypeError(`${pv} (${t.id || "structure"}): a value of kind ${vt.kind} cannot be forwarded`);
}

function table(pv: string, vt: Structure, columns: PvStructure, base: Omit<PvaUpdate, "type" | "value" | "array">) {
  const values = member(vt, "value");
  const stamps = member(vt, "timestamp");
  if (values?.kind !== "array" || stamps?.kind !== "array") {
    throw new UnsupportedTypeError(`${pv}: an NTTable needs array columns "value" and "timestamp"`);
  }
  const raw = (columns.timestamp ?? []) as ArrayLike<number | bigint>;
  const timestamps = BigInt64Array.from(Array.from(raw, (x) => BigInt(typeof x === "bigint" ? x : integer(x))));
  const value = (columns.value ?? []) as PvaArray;
  return { ...base, type: values.scalar as PvaScalarType, value, array: true, timestamps };
}
