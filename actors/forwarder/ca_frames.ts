/**
 * The binary frames of CA events. The native queue (`ca_queue.c`) writes them on libca's threads; a CA child process
 * (`ca_process.ts`) passes them to its monitor group (`ca_remote.ts`) unchanged, in batches; the in-process client
 * (`ca_client.ts`) decodes them itself. Each frame is little-endian: a u32 length (of what follows), a u8 kind, the
 * u32 monitor id, then
 *
 * - connection (1): u8 connected;
 * - update (2): u8 CA type index (string, short, float, enum, char, long, double), u8 0, u32 element count, then the
 *   `dbr_time_<type>` struct as libca delivered it: i16 status, i16 severity, u32 EPICS seconds, u32 ns, padding to
 *   the value, the elements (strings: 40 bytes each, NUL-terminated).
 *
 * @module
 */
import { CA_TYPES as WIRE_TYPES, dbrType, decodeDbr } from "../common/ca/dbr.ts";
import type { CaType, CaUpdate } from "./ca_client.ts";

/** CA types by the index frames carry (`DBR_TIME_<type>` − 14). */
export const CA_TYPES: readonly CaType[] = WIRE_TYPES;
/** the kind byte of a connection frame (an update's is 2). */
export const CONNECTION = 1;

const UPDATE_HEAD = 4 + 1 + 4 + 1 + 1 + 4;

/** A decoded frame. */
export type Frame =
  | { kind: "connection"; id: number; connected: boolean }
  | { kind: "update"; id: number; update: CaUpdate };

/**
 * Decodes a host-order (little-endian) `dbr_time_<type>` struct of `count` elements, with the CA codec shared with
 * the sim's CA server (`actors/common/ca/dbr.ts`); the values are copied out of `bytes`.
 */
export function decodeTimeDbr(type: CaType, count: number, bytes: Uint8Array): CaUpdate {
  const d = decodeDbr(dbrType(type, "time"), count, bytes, true);
  const head = { type, status: d.status!, severity: d.severity!, timestampNs: d.timestampNs! };
  const array = count > 1;
  if (array) return { ...head, array, value: d.values };
  const first = d.values[0];
  return { ...head, array, value: first ?? (type === "string" ? "" : 0) };
}

/** Decodes the frame in `bytes` (without its length field). */
export function decodeFrame(bytes: Uint8Array): Frame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = view.getUint32(1, true);
  if (bytes[0] === CONNECTION) return { kind: "connection", id, connected: bytes[5] === 1 };
  const type = CA_TYPES[bytes[5]];
  const count = view.getUint32(7, true);
  return { kind: "update", id, update: decodeTimeDbr(type, count, bytes.subarray(UPDATE_HEAD - 4)) };
}

/**
 * Calls `each` with every whole frame in `bytes[0, end)` (without its length field, a view into `bytes`), and returns
 * where the first incomplete frame starts.
 */
export function eachFrame(bytes: Uint8Array, end: number, each: (frame: Uint8Array) => void): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (end - at >= 4) {
    const size = view.getUint32(at, true);
    if (end - at - 4 < size) break;
    each(bytes.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return at;
}

/** Splits a byte stream (a CA process's stdout) into frames, whatever the chunks it arrives in. */
export class FrameSplitter {
  #rest: Uint8Array | null = null;

  /** Calls `each` with every frame that `chunk` completes (a view, valid during the call; see {@linkcode eachFrame}). */
  push(chunk: Uint8Array, each: (frame: Uint8Array) => void): void {
    let bytes = chunk;
    if (this.#rest) {
      bytes = new Uint8Array(this.#rest.byteLength + chunk.byteLength);
      bytes.set(this.#rest);
      bytes.set(chunk, this.#rest.byteLength);
    }
    const end = eachFrame(bytes, bytes.byteLength, each);
    this.#rest = end < bytes.byteLength ? bytes.slice(end) : null;
  }
}
