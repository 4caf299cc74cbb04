/**
 * The forwarder's message encoding: a CA monitor update into f144, f142 or tdct; alarms into al00; connection changes
 * into ep01; the stream set into fc00 (storage topic) and x5f2 status JSON. Pure functions over `schemas/`.
 *
 * @module
 */
import { al00, ep01, f142, f144, fc00, tdct } from "../../schemas/mod.ts";
import type { CaType, CaUpdate, Stream } from "../../protocols/forwarder.ts";

/** An update that cannot be put into the schema asked for. */
export class UnsupportedValueError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedValueError";
  }
}

/** EPICS alarm status names (`epicsAlarmConditionStrings`), indexed by status. */
export const ALARM_STATUS = [
  "NO_ALARM",
  "READ",
  "WRITE",
  "HIHI",
  "HIGH",
  "LOLO",
  "LOW",
  "STATE",
  "COS",
  "COMM",
  "TIMEOUT",
  "HWLIMIT",
  "CALC",
  "SCAN",
  "LINK",
  "SOFT",
  "BAD_SUB",
  "UDF",
  "DISABLE",
  "SIMM",
  "READ_ACCESS",
  "WRITE_ACCESS",
] as const; // deno-fmt-ignore

/** f144/f142 union member names by CA type (scalar name; arrays prefix `Array`). */
const VALUE_TYPES: Record<Exclude<CaType, "string">, string> = {
  short: "Short",
  float: "Float",
  enum: "UShort",
  char: "UByte",
  long: "Int",
  double: "Double",
};

const ARRAYS = {
  short: Int16Array,
  float: Float32Array,
  enum: Uint16Array,
  char: Uint8Array,
  long: Int32Array,
  double: Float64Array,
} as const;

function numericValue(pv: string, schema: string, u: CaUpdate): { value_type: string; value: { value: unknown } } {
  if (u.type === "string") {
    throw new UnsupportedValueError(`Cannot forward ${pv} as ${schema}: string PVs have no ${schema} value type`);
  }
  const name = VALUE_TYPES[u.type];
  if (!u.array) return { value_type: name, value: { value: u.value as number } };
  const value = u.value instanceof ARRAYS[u.type] ? u.value : new ARRAYS[u.type](u.value as ArrayLike<number>);
  return { value_type: `Array${name}`, value: { value } };
}

/** f144 for one update. @throws {UnsupportedValueError} for string PVs. */
export function encodeF144(pv: string, u: CaUpdate): Uint8Array {
  return f144.encode({ source_name: pv, timestamp: u.timestampNs, ...numericValue(pv, "f144", u) } as never);
}

/** EPICS severity (0..3) → f142's AlarmSeverity numbering. */
const F142_SEVERITY = [2, 0, 1, 3];

/** f142 (older consumers) for one update, with the alarm inside. @throws {UnsupportedValueError} for strings. */
export function encodeF142(pv: string, u: CaUpdate): Uint8Array {
  return f142.encode({
    source_name: pv,
    timestamp: u.timestampNs,
    status: u.status,
    severity: F142_SEVERITY[u.severity] ?? 3,
    ...numericValue(pv, "f142", u),
  } as never);
}

/**
 * tdct for a chopper timestamp array: each element is an offset in ns from the update's EPICS time. Returns null
 * for an empty array (not forwarded). @throws {UnsupportedValueError} for non-integer or scalar PVs.
 */
export function encodeTdct(pv: string, u: CaUpdate, sequence: number): Uint8Array | null {
  if (u.type === "string" || u.type === "float" || u.type === "double") {
    throw new UnsupportedValueError(`Cannot forward ${pv} as tdct: needs an integer array, got ${u.type}`);
  }
  const offsets = typeof u.value === "number" ? [u.value] : u.value as ArrayLike<number>;
  if (offsets.length === 0) return null;
  const timestamps = new BigUint64Array(offsets.length);
  for (let i = 0; i < offsets.length; i++) timestamps[i] = u.timestampNs + BigInt(offsets[i]);
  return tdct.encode({ name: pv, timestamps, sequence_counter: sequence });
}

/** The al00 message text of an EPICS alarm status. */
export function alarmMessage(status: number): string {
  return ALARM_STATUS[status] ?? `STATUS_${status}`;
}

/** al00 for an alarm state. */
export function encodeAl00(pv: string, timestampNs: bigint, severity: number, status: number): Uint8Array {
  return al00.encode({ source_name: pv, timestamp: timestampNs, severity, message: alarmMessage(status) });
}

/** ep01 for a connection change (wall-clock time, ms). */
export function encodeEp01(pv: string, timeMs: number, connected: boolean, serviceId: string): Uint8Array {
  return ep01.encode({
    source_name: pv,
    timestamp: BigInt(timeMs) * 1_000_000n,
    status: connected ? "CONNECTED" : "DISCONNECTED",
    service_id: serviceId,
  });
}

/** The storage topic's fc00: the whole set as one ADD, or REMOVEALL when empty. */
export function encodeStorage(streams: readonly Stream[]): Uint8Array {
  if (streams.length === 0) return fc00.encode({ config_change: "REMOVEALL", streams: [] });
  return fc00.encode({ config_change: "ADD", streams: streams.map((s) => ({ ...s })) });
}

/** The x5f2 `status_json` of the forwarder, as ESS's forwarder writes it, plus nxflow's counters. */
export function statusJson(streams: readonly Stream[], counters: object): string {
  return JSON.stringify({
    streams: streams.map((s) => ({
      channel_name: s.channel,
      protocol: s.protocol,
      output_topic: s.topic,
      schema: s.schema,
    })),
    counters,
  });
}
