/**
 * The binary frames a CA child process (`ca_process.ts`) sends its monitor group (`ca_remote.ts`): each frame is a
 * u32 length (of what follows) and a kind byte, all little-endian.
 *
 * - connection (1): u32 monitor id, u8 connected;
 * - update (2): u32 id, u8 CA type index, u8 array flag, i16 severity, i16 status, u64 EPICS time (ns since the
 *   Unix epoch), u32 element count, then the elements' raw bytes (strings: their JSON).
 *
 * @module
 */
import type { CaArray, CaType, CaUpdate } from "./ca_client.ts";

const TYPES: CaType[] = ["string", "short", "float", "enum", "char", "long", "double"];
const HEAD = 4 + 1 + 4;
const UPDATE_HEAD = HEAD + 1 + 1 + 2 + 2 + 8 + 4;
const ARRAYS = [null, Int16Array, Float32Array, Uint16Array, Uint8Array, Int32Array, Float64Array] as const;

/** A decoded frame. */
export type Frame =
  | { kind: "connection"; id: number; connected: boolean }
  | { kind: "update"; id: number; update: CaUpdate };

/** Frame for a connection change. */
export function encodeConnection(id: number, connected: boolean): Uint8Array {
  const bytes = new Uint8Array(HEAD + 1);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, bytes.byteLength - 4, true);
  v.setUint8(4, 1);
  v.setUint32(5, id, true);
  v.setUint8(9, connected ? 1 : 0);
  return bytes;
}

/** Frame for a monitor update. */
export function encodeUpdate(id: number, u: CaUpdate): Uint8Array {
  const typeIndex = TYPES.indexOf(u.type);
  let body: Uint8Array;
  let count: number;
  if (u.type === "string") {
    const strings = Array.isArray(u.value) ? u.value : [u.value];
    body = new TextEncoder().encode(JSON.stringify(strings));
    count = strings.length;
  } else if (typeof u.value === "number") {
    body = new Uint8Array(new ARRAYS[typeIndex]!([u.value]).buffer);
    count = 1;
  } else {
    const a = u.value as CaArray;
    body = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    count = a.length;
  }
  const bytes = new Uint8Array(UPDATE_HEAD + body.byteLength);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, bytes.byteLength - 4, true);
  v.setUint8(4, 2);
  v.setUint32(5, id, true);
  v.setUint8(9, typeIndex);
  v.setUint8(10, u.array ? 1 : 0);
  v.setInt16(11, u.severity, true);
  v.setInt16(13, u.status, true);
  v.setBigUint64(15, u.timestampNs, true);
  v.setUint32(23, count, true);
  bytes.set(body, UPDATE_HEAD);
  return bytes;
}

/** Decodes the frame in `bytes` (without its length field). */
export function decodeFrame(bytes: Uint8Array): Frame {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = v.getUint32(1, true);
  if (v.getUint8(0) === 1) return { kind: "connection", id, connected: v.getUint8(5) === 1 };
  const typeIndex = v.getUint8(5);
  const type = TYPES[typeIndex];
  const array = v.getUint8(6) === 1;
  const head = { type, array, severity: v.getInt16(7, true), status: v.getInt16(9, true) };
  const timestampNs = v.getBigUint64(11, true);
  const body = bytes.slice(UPDATE_HEAD - 4);
  let value: CaUpdate["value"];
  if (type === "string") {
    const strings = JSON.parse(new TextDecoder().decode(body)) as string[];
    value = array ? strings : strings[0] ?? "";
  } else {
    const values = new ARRAYS[typeIndex]!(body.buffer);
    value = array ? values : values[0] ?? 0;
  }
  return { kind: "update", id, update: { ...head, timestampNs, value } };
}
