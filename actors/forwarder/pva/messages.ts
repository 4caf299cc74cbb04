/**
 * pvAccess client messages (reference `epics-protocols.md` §2.4–2.9): the bytes a monitoring client sends, and
 * decoders of the UDP search response. TCP replies are decoded where they are handled (`connection.ts`).
 *
 * @module
 */
import { type RequestTree, writeRequestType, writeRequestValue } from "./types.ts";
import { message, PvaDecodeError, PvaReader } from "./wire.ts";

/** Application command codes used by the client. */
export const CMD = {
  beacon: 0x00,
  validation: 0x01,
  echo: 0x02,
  search: 0x03,
  searchResponse: 0x04,
  createChannel: 0x07,
  destroyChannel: 0x08,
  validated: 0x09,
  monitor: 0x0d,
  destroyRequest: 0x0f,
  message: 0x12,
} as const;

/** Control command: the server's byte order. */
export const CONTROL_SET_BYTE_ORDER = 2;

/** MONITOR sub-commands. */
export const MONITOR = { init: 0x08, pipelineInit: 0x88, start: 0x44, ack: 0x80, final: 0x10 } as const;

/** A SEARCH datagram (unicast flag set, replies to `responsePort` at the sender's address). */
export function searchMessage(sequence: number, responsePort: number, channels: { id: number; name: string }[]) {
  return message(CMD.search, true, (w) => {
    w.u32(sequence).u8(0x80).u8(0).u8(0).u8(0);
    for (let i = 0; i < 16; i++) w.u8(0);
    w.u16(responsePort).size(1).string("tcp").u16(channels.length);
    for (const c of channels) w.u32(c.id).string(c.name);
  });
}

/** A SEARCH_RESPONSE that found channels. */
export interface SearchResponse {
  /** server address as dotted quad, or null for "the datagram's source". */
  host: string | null;
  port: number;
  ids: number[];
}

/** Decodes a UDP datagram; null unless it is a positive tcp SEARCH_RESPONSE. @throws {PvaDecodeError} */
export function decodeSearchResponse(datagram: Uint8Array): SearchResponse | null {
  if (datagram.length < 8) throw new PvaDecodeError("datagram shorter than a header");
  if (datagram[0] !== 0xca) throw new PvaDecodeError("bad magic byte");
  if (datagram[3] !== CMD.searchResponse || datagram[2] & 1) return null;
  const r = new PvaReader(datagram.subarray(8), (datagram[2] & 0x80) === 0);
  r.take(12); // GUID
  r.u32(); // sequence
  const addr = r.take(16);
  const port = r.u16();
  const protocol = r.string();
  const found = r.u8() !== 0;
  const n = r.u16();
  if (n * 4 > r.remaining) throw new PvaDecodeError(`${n} channel ids in ${r.remaining} bytes`);
  const ids = Array.from({ length: n }, () => r.u32());
  if (!found || protocol !== "tcp") return null;
  const v4 = addr.subarray(12);
  const mapped = addr.subarray(0, 10).every((b) => b === 0) && addr[10] === 0xff && addr[11] === 0xff;
  const zero = addr.every((b) => b === 0) || (mapped && v4.every((b) => b === 0));
  if (!zero && !mapped) throw new PvaDecodeError("IPv6 server addresses are not supported");
  return { host: zero ? null : [...v4].join("."), port, ids };
}

/** The client's CONNECTION_VALIDATION: anonymous when offered, else "ca" with user and host. */
export function validationMessage(le: boolean, methods: string[], user: string, host: string): Uint8Array {
  return message(CMD.validation, le, (w) => {
    w.u32(65536).u16(0x7fff).u16(0);
    if (methods.includes("anonymous") || !methods.includes("ca")) {
      w.string("anonymous").u8(0xff);
      return;
    }
    w.string("ca");
    writeRequestType(w, { user: "", host: "" });
    writeRequestValue(w, { user, host });
  });
}

/** CREATE_CHANNEL for one channel. */
export function createChannelMessage(le: boolean, cid: number, name: string): Uint8Array {
  return message(CMD.createChannel, le, (w) => w.u16(1).u32(cid).string(name));
}

/** DESTROY_CHANNEL. */
export function destroyChannelMessage(le: boolean, sid: number, cid: number): Uint8Array {
  return message(CMD.destroyChannel, le, (w) => w.u32(sid).u32(cid));
}

/** The monitor's pvRequest: value, alarm, timeStamp and display.units, pipelined with a window of `queueSize`. */
export function monitorRequest(queueSize: number): RequestTree {
  return {
    field: { value: {}, alarm: {}, timeStamp: {}, display: { units: {} } },
    record: { _options: { pipeline: "true", queueSize: String(queueSize) } },
  };
}

/** MONITOR INIT with pipeline flow control (`nfree` = the initial window). */
export function monitorInitMessage(le: boolean, sid: number, ioid: number, request: RequestTree, nfree: number) {
  return message(CMD.monitor, le, (w) => {
    w.u32(sid).u32(ioid).u8(MONITOR.pipelineInit);
    writeRequestType(w, request);
    writeRequestValue(w, request);
    w.u32(nfree);
  });
}

/** MONITOR start. */
export function monitorStartMessage(le: boolean, sid: number, ioid: number): Uint8Array {
  return message(CMD.monitor, le, (w) => w.u32(sid).u32(ioid).u8(MONITOR.start));
}

/** MONITOR pipeline ack of `n` more updates. */
export function monitorAckMessage(le: boolean, sid: number, ioid: number, n: number): Uint8Array {
  return message(CMD.monitor, le, (w) => w.u32(sid).u32(ioid).u8(MONITOR.ack).u32(n));
}

/** DESTROY_REQUEST. */
export function destroyRequestMessage(le: boolean, sid: number, ioid: number): Uint8Array {
  return message(CMD.destroyRequest, le, (w) => w.u32(sid).u32(ioid));
}

/** An ECHO request with an empty payload. */
export function echoMessage(le: boolean): Uint8Array {
  return message(CMD.echo, le, () => {});
}
