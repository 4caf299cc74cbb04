/**
 * Channel Access messages (protocol 4.13) on the wire: command codes, ECA status codes, the 16-byte header and the
 * 24-byte extended header, encoding with padding, and framing of a TCP byte stream or a UDP datagram into messages
 * with validation (misaligned or oversized payloads are rejected with a {@linkcode CaFrameError}). Shared by the
 * sim's CA server and by CA clients. Layouts follow `shared/reference/epics-protocols.md` §1.2–1.4. Pure code.
 *
 * @module
 */
import { type CaType, type DbrMeta, encodeDbr, pad8 } from "./dbr.ts";

/** CA command codes (`caProto.h`). */
export const CMD = {
  VERSION: 0,
  EVENT_ADD: 1,
  EVENT_CANCEL: 2,
  READ: 3,
  WRITE: 4,
  SEARCH: 6,
  EVENTS_OFF: 8,
  EVENTS_ON: 9,
  READ_SYNC: 10,
  ERROR: 11,
  CLEAR_CHANNEL: 12,
  RSRV_IS_UP: 13,
  NOT_FOUND: 14,
  READ_NOTIFY: 15,
  REPEATER_CONFIRM: 17,
  CREATE_CHAN: 18,
  WRITE_NOTIFY: 19,
  CLIENT_NAME: 20,
  HOST_NAME: 21,
  ACCESS_RIGHTS: 22,
  ECHO: 23,
  REPEATER_REGISTER: 24,
  CREATE_CH_FAIL: 26,
  SERVER_DISCONN: 27,
} as const;

/** ECA status codes (`caerr.h`). */
export const ECA = {
  NORMAL: 1,
  TOLARGE: 72,
  BADTYPE: 114,
  INTERNAL: 142,
  GETFAIL: 152,
  PUTFAIL: 160,
  BADCOUNT: 176,
  BADMONID: 242,
  NOWTACCESS: 376,
  NOCONVERT: 400,
  BADCHID: 410,
} as const;

/** Monitor mask bits of EVENT_ADD (`caeventmask.h`). */
export const DBE = { VALUE: 1, LOG: 2, ALARM: 4, PROPERTY: 8 } as const;
/** The protocol minor version this codec speaks. */
export const CA_MINOR = 13;
/** SEARCH data type: the client wants a NOT_FOUND for unknown names (TCP only). */
export const DO_REPLY = 10;

/** One CA message: the header fields and the payload (a view into the received bytes, padding included). */
export interface CaMessage {
  command: number;
  dataType: number;
  count: number;
  p1: number;
  p2: number;
  payload: Uint8Array;
}

/** A frame that breaks the protocol (misaligned or oversized payload, truncated datagram). */
export class CaFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaFrameError";
  }
}

/**
 * Encodes one message; `payload` is padded to 8 with zeros. The extended header is used when the padded payload or
 * the count reaches 0xFFFF, as RSRV does.
 */
export function encodeMessage(
  command: number,
  dataType: number,
  count: number,
  p1: number,
  p2: number,
  payload?: Uint8Array,
): Uint8Array {
  const size = pad8(payload?.length ?? 0);
  const extended = size >= 0xffff || count >= 0xffff;
  const head = extended ? 24 : 16;
  const bytes = new Uint8Array(head + size);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, command);
  view.setUint16(2, extended ? 0xffff : size);
  view.setUint16(4, dataType);
  view.setUint16(6, extended ? 0 : count);
  view.setUint32(8, p1 >>> 0);
  view.setUint32(12, p2 >>> 0);
  if (extended) {
    view.setUint32(16, size);
    view.setUint32(20, count);
  }
  if (payload) bytes.set(payload, head);
  return bytes;
}

/**
 * Encodes a message carrying a DBR (a read, monitor or write): header and {@linkcode encodeDbr}'s payload in one
 * allocation.
 */
export function encodeDbrMessage(
  command: number,
  dbr: number,
  count: number,
  p1: number,
  p2: number,
  native: CaType,
  values: ArrayLike<number> | readonly string[],
  meta: DbrMeta,
): Uint8Array {
  const small = encodeDbr(dbr, native, values, count, meta, 16);
  const size = small.length - 16;
  if (size >= 0xffff || count >= 0xffff) return encodeMessage(command, dbr, count, p1, p2, small.subarray(16));
  const view = new DataView(small.buffer);
  view.setUint16(0, command);
  view.setUint16(2, size);
  view.setUint16(4, dbr);
  view.setUint16(6, count);
  view.setUint32(8, p1 >>> 0);
  view.setUint32(12, p2 >>> 0);
  return small;
}

/** A string payload: UTF-8, NUL-terminated, padded to 8. */
export function stringPayload(s: string): Uint8Array {
  const encoded = new TextEncoder().encode(s);
  const bytes = new Uint8Array(pad8(encoded.length + 1));
  bytes.set(encoded);
  return bytes;
}

/**
 * Reads the message at `at` in `bytes[0, end)`: the message and where the next starts, or null when it is not all
 * there yet. Throws a {@linkcode CaFrameError} for a payload size that is not a multiple of 8 or exceeds `maxPayload`.
 */
export function readMessage(
  bytes: Uint8Array,
  at: number,
  end: number,
  maxPayload: number,
): { message: CaMessage; next: number } | null {
  if (end - at < 16) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, end - at);
  let size = view.getUint16(2);
  let count = view.getUint16(6);
  let head = 16;
  if (size === 0xffff) {
    if (end - at < 24) return null;
    size = view.getUint32(16);
    count = view.getUint32(20);
    head = 24;
  }
  if (size % 8 !== 0) throw new CaFrameError(`misaligned payload size ${size}`);
  if (size > maxPayload) throw new CaFrameError(`payload of ${size} bytes exceeds the limit of ${maxPayload}`);
  if (end - at < head + size) return null;
  const message: CaMessage = {
    command: view.getUint16(0),
    dataType: view.getUint16(4),
    count,
    p1: view.getUint32(8),
    p2: view.getUint32(12),
    payload: bytes.subarray(at + head, at + head + size),
  };
  return { message, next: at + head + size };
}

/** Every message of one UDP datagram; throws a {@linkcode CaFrameError} when the datagram ends inside a message. */
export function parseDatagram(bytes: Uint8Array, maxPayload = 16_384): CaMessage[] {
  const out: CaMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    const read = readMessage(bytes, at, bytes.length, maxPayload);
    if (!read) throw new CaFrameError(`datagram truncated at byte ${at} of ${bytes.length}`);
    out.push(read.message);
    at = read.next;
  }
  return out;
}

/**
 * Splits a CA byte stream (one TCP circuit) into messages, whatever the chunks it arrives in. Messages are views,
 * valid during the callback only.
 */
export class CaStreamSplitter {
  #rest: Uint8Array | null = null;

  /** @param maxPayload the largest payload accepted (larger ones throw a {@linkcode CaFrameError}). */
  constructor(readonly maxPayload: number) {}

  /** Bytes waiting for the rest of their message. */
  get pending(): number {
    return this.#rest?.length ?? 0;
  }

  /** Calls `each` with every message `chunk` completes; throws a {@linkcode CaFrameError} on a broken frame. */
  push(chunk: Uint8Array, each: (message: CaMessage) => void): void {
    let bytes = chunk;
    if (this.#rest) {
      bytes = new Uint8Array(this.#rest.length + chunk.length);
      bytes.set(this.#rest);
      bytes.set(chunk, this.#rest.length);
    }
    let at = 0;
    for (;;) {
      const read = readMessage(bytes, at, bytes.length, this.maxPayload);
      if (!read) break;
      each(read.message);
      at = read.next;
    }
    this.#rest = at < bytes.length ? bytes.slice(at) : null;
  }
}
