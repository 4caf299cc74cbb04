/**
 * Decoders of what a Channel Access server sends a monitoring client, on the CA codec shared with the sim's server
 * (`actors/common/ca/`): `DBR_TIME_<type>` monitor updates into {@linkcode CaUpdate}s (the hot path: scalars read in
 * place, arrays copied out of the receive buffer), `DBR_CTRL_<type>` replies into {@linkcode CaChannelInfo}, and
 * UDP search replies. Anything that does not fit the protocol throws a {@linkcode CaProtocolError}; nothing else is
 * thrown for any input. Layouts: `epics-protocols.md` §1.4, §1.5, §1.12. Pure code.
 *
 * @module
 */
import type { CaType, CaUpdate } from "../../../protocols/forwarder.ts";
import {
  CA_TYPES,
  type DbrLimits,
  decodeDbr,
  decodeValues,
  elementSize,
  EPICS_EPOCH_S,
  MAX_STRING,
  readCString,
  valueOffset,
} from "../../common/ca/dbr.ts";
import { CaFrameError, type CaMessage, CMD, parseDatagram } from "../../common/ca/messages.ts";

/** A server broke the protocol (a malformed frame, a wrong type or count, an unknown command). */
export class CaProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaProtocolError";
  }
}

/** What a channel is, from its CREATE_CHAN reply and one `DBR_CTRL_<type>` read. */
export interface CaChannelInfo {
  type: CaType;
  /** the native element count (above 1: an array). */
  count: number;
  /** empty for strings and enums. */
  units: string;
  /** display precision (floats and doubles; 0 otherwise). */
  precision: number;
  /** display, alarm and control limits (none for strings and enums). */
  limits: Partial<DbrLimits>;
  /** the state names of an enum (empty otherwise). */
  enumStrings: string[];
}

/** The DBR type number of `DBR_TIME_<type>` for the native type index `native` (0..6). */
export function timeType(native: number): number {
  return native + 14;
}

/** The DBR type number of `DBR_CTRL_<type>` for the native type index `native` (0..6). */
export function ctrlType(native: number): number {
  return native + 28;
}

/** Bytes needed for `count` elements of `type` from `at` (a single string may be cut after its NUL, as libca's). */
function needed(type: CaType, at: number, count: number): number {
  if (type === "string") return count === 0 ? at : at + (count - 1) * MAX_STRING + 1;
  return at + count * elementSize(type);
}

function scalar(type: CaType, view: DataView, bytes: Uint8Array, at: number): number | string {
  switch (type) {
    case "double":
      return view.getFloat64(at);
    case "float":
      return view.getFloat32(at);
    case "long":
      return view.getInt32(at);
    case "short":
      return view.getInt16(at);
    case "enum":
      return view.getUint16(at);
    case "char":
      return view.getUint8(at);
    default:
      return readCString(bytes, at, MAX_STRING);
  }
}

/**
 * Decodes a monitor update of a channel of native type index `native` and native count `nativeCount`: the message
 * must be `DBR_TIME_<native>` with its values all there. A channel with a native count above 1 gives an array (a
 * copy), else a scalar.
 */
export function decodeUpdate(m: CaMessage, native: number, nativeCount: number): CaUpdate {
  if (m.dataType !== timeType(native)) {
    throw new CaProtocolError(`monitor update of DBR type ${m.dataType}, subscribed as ${timeType(native)}`);
  }
  const type = CA_TYPES[native];
  const array = nativeCount > 1;
  const count = m.count;
  if (!array && count !== 1) throw new CaProtocolError(`scalar monitor update with ${count} elements`);
  const at = valueOffset(type, "time");
  const bytes = m.payload;
  if (bytes.length < needed(type, at, count)) {
    throw new CaProtocolError(`DBR_TIME_${type.toUpperCase()} × ${count} in ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seconds = view.getUint32(4) + Number(EPICS_EPOCH_S);
  return {
    type,
    value: array ? decodeValues(type, count, bytes, at) : scalar(type, view, bytes, at),
    severity: view.getInt16(2),
    status: view.getInt16(0),
    timestampNs: BigInt(seconds) * 1_000_000_000n + BigInt(view.getUint32(8)),
    array,
  };
}

/** Decodes the `DBR_CTRL_<native>` reply of a channel into what it is. */
export function decodeControl(m: CaMessage, native: number, nativeCount: number): CaChannelInfo {
  if (m.dataType !== ctrlType(native)) {
    throw new CaProtocolError(`control read of DBR type ${m.dataType}, asked for ${ctrlType(native)}`);
  }
  try {
    const d = decodeDbr(m.dataType, m.count, m.payload);
    return {
      type: d.type,
      count: nativeCount,
      units: d.units ?? "",
      precision: d.precision ?? 0,
      limits: d.limits ?? {},
      enumStrings: d.enumStrings ?? [],
    };
  } catch (error) {
    throw new CaProtocolError(`control read: ${(error as Error).message}`);
  }
}

/** One answer to a UDP search. */
export interface SearchReply {
  /** the search id. */
  id: number;
  /** the server's TCP port. */
  port: number;
  /** the server's IPv4 address as it gave it, or null (0xFFFFFFFF or 0): the address the datagram came from. */
  host: string | null;
  /** the server's protocol minor version (0 when the reply does not say). */
  minor: number;
}

/** The SEARCH replies in a datagram (other messages skipped). @throws {CaProtocolError} for a broken datagram. */
export function decodeSearchReplies(datagram: Uint8Array): SearchReply[] {
  let messages: CaMessage[];
  try {
    messages = parseDatagram(datagram, 1024);
  } catch (error) {
    throw new CaProtocolError(error instanceof CaFrameError ? error.message : String(error));
  }
  const out: SearchReply[] = [];
  for (const m of messages) {
    if (m.command !== CMD.SEARCH) continue;
    const p = m.payload;
    const minor = p.length >= 2 ? (p[0] << 8) | p[1] : 0;
    const given = m.p1 !== 0xffffffff && m.p1 !== 0;
    const host = given ? [m.p1 >>> 24, (m.p1 >>> 16) & 255, (m.p1 >>> 8) & 255, m.p1 & 255].join(".") : null;
    out.push({ id: m.p2, port: m.dataType, host, minor });
  }
  return out;
}

/** The text of a server's ERROR message (after the copy of the offending header), or "" when there is none. */
export function errorText(m: CaMessage): string {
  if (m.payload.length < 16) return "";
  const extended = ((m.payload[2] << 8) | m.payload[3]) === 0xffff;
  const at = extended ? 24 : 16;
  return at < m.payload.length ? readCString(m.payload, at, m.payload.length - at) : "";
}
