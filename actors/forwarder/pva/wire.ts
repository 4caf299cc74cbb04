/**
 * pvAccess wire primitives (reference `epics-protocols.md` §2.2–2.3): a bounds-checked reader and a growable writer
 * of pvData's encodings (Size, string, BitSet) in either byte order, the 8-byte message header, and the TCP stream
 * splitter that cuts received bytes into messages and re-assembles segmented ones. Pure code, no I/O.
 *
 * Every malformed input raises {@linkcode PvaDecodeError}; callers count it and drop the connection.
 *
 * @module
 */

/** Bytes that break the protocol (truncated, out of range, unknown type code, ...). */
export class PvaDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PvaDecodeError";
  }
}

/** The magic byte that starts every message. */
export const MAGIC = 0xca;
/** The protocol version this client speaks. */
export const VERSION = 2;
/** Header flag bits. */
export const FLAG = { control: 0x01, segmentMask: 0x30, first: 0x10, last: 0x20, server: 0x40, bigEndian: 0x80 };
/** Largest message (after re-assembly) accepted: beyond it the peer is treated as broken. */
export const MAX_MESSAGE = 64 * 1024 * 1024;

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** Reads pvData values from one payload, in the payload's byte order. */
export class PvaReader {
  readonly view: DataView;
  offset = 0;

  constructor(readonly bytes: Uint8Array, readonly littleEndian: boolean) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Throws unless `n` more bytes are there. */
  need(n: number): void {
    if (n < 0 || this.offset + n > this.bytes.length) {
      throw new PvaDecodeError(`truncated: need ${n} bytes at ${this.offset} of ${this.bytes.length}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++];
  }
  i8(): number {
    this.need(1);
    return this.view.getInt8(this.offset++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset, this.littleEndian);
    this.offset += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.offset, this.littleEndian);
    this.offset += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, this.littleEndian);
    this.offset += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.offset, this.littleEndian);
    this.offset += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.offset, this.littleEndian);
    this.offset += 8;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.offset, this.littleEndian);
    this.offset += 8;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.offset, this.littleEndian);
    this.offset += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.offset, this.littleEndian);
    this.offset += 8;
    return v;
  }

  /** `n` raw bytes (a view, not a copy). */
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A Size: -1 for null, else a count. */
  size(): number {
    const b = this.u8();
    if (b < 254) return b;
    if (b === 255) return -1;
    const n = this.i32();
    if (n < 0) throw new PvaDecodeError(`negative size ${n}`);
    return n;
  }

  /** A count of elements of `elementBytes` each that must fit in what is left (null counts as 0). */
  count(elementBytes: number): number {
    const n = Math.max(0, this.size());
    if (n * elementBytes > this.remaining) {
      throw new PvaDecodeError(`count ${n} × ${elementBytes} bytes exceeds the ${this.remaining} bytes left`);
    }
    return n;
  }

  /** A string (null reads as ""). */
  string(): string {
    return utf8.decode(this.take(this.count(1)));
  }

  /** A BitSet, as bytes with bit i at byte i>>3, bit i&7. */
  bitSet(): Uint8Array {
    const n = this.count(1);
    const out = this.take(n).slice();
    if (!this.littleEndian) { for (let w = 0; w + 8 <= n; w += 8) out.subarray(w, w + 8).reverse(); }
    return out;
  }

  /** A Status: null for OK without text, else its type (0 OK, 1 warning, 2 error, 3 fatal) and message. */
  status(): { type: number; message: string } | null {
    const type = this.u8();
    if (type === 0xff) return null;
    if (type > 3) throw new PvaDecodeError(`status type ${type}`);
    const message = this.string();
    this.string(); // call tree
    return { type, message };
  }
}

/** Whether bit `i` is set in a BitSet read by {@linkcode PvaReader.bitSet}. */
export function hasBit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}

/** Writes pvData values in one byte order into a growing buffer. */
export class PvaWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  constructor(readonly littleEndian: boolean) {}

  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.grow(1);
    this.buf[this.length++] = v;
    return this;
  }
  u16(v: number): this {
    this.grow(2);
    this.view.setUint16(this.length, v, this.littleEndian);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.grow(4);
    this.view.setUint32(this.length, v, this.littleEndian);
    this.length += 4;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  size(n: number): this {
    if (n < 254) return this.u8(n);
    return this.u8(254).u32(n);
  }
  string(s: string): this {
    const b = utf8Encoder.encode(s);
    return this.size(b.length).bytes(b);
  }

  /** The bytes written so far (a copy). */
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** One application message of the client: the header and the payload from `body`. */
export function message(command: number, littleEndian: boolean, body: (w: PvaWriter) => void): Uint8Array {
  const w = new PvaWriter(littleEndian);
  w.u8(MAGIC).u8(VERSION).u8(littleEndian ? 0 : FLAG.bigEndian).u8(command).u32(0);
  body(w);
  const out = w.done();
  new DataView(out.buffer).setUint32(4, out.length - 8, littleEndian);
  return out;
}

/** A whole received message. */
export interface Frame {
  command: number;
  /** control message (no payload; `size` holds its value). */
  control: boolean;
  littleEndian: boolean;
  /** the header's size field (control messages) or the payload length. */
  size: number;
  /** the payload; a view of the chunk given to {@linkcode FrameSplitter.push} unless the message was segmented. */
  payload: Uint8Array;
}

/**
 * Cuts a TCP byte stream into messages: decodes each header by its own byte-order bit, re-assembles segmented
 * messages, passes control messages through (also between segments). Throws {@linkcode PvaDecodeError} on a bad
 * magic byte, a message over {@linkcode MAX_MESSAGE} or an out-of-order segment. A frame's payload may be a view of
 * the chunk given to `push`: use it (or copy it) before that chunk's memory is reused.
 */
export class FrameSplitter {
  private pending = new Uint8Array(0);
  private segments: Uint8Array[] | null = null;
  private segmentBytes = 0;

  /** Adds received bytes; returns the messages they complete. */
  push(chunk: Uint8Array): Frame[] {
    const data = this.pending.length ? concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    let at = 0;
    while (data.length - at >= 8) {
      if (data[at] !== MAGIC) throw new PvaDecodeError(`bad magic byte 0x${data[at].toString(16)}`);
      const flags = data[at + 2];
      const littleEndian = (flags & FLAG.bigEndian) === 0;
      const size = new DataView(data.buffer, data.byteOffset + at + 4, 4).getUint32(0, littleEndian);
      const command = data[at + 3];
      if (flags & FLAG.control) {
        frames.push({ command, control: true, littleEndian, size, payload: new Uint8Array(0) });
        at += 8;
        continue;
      }
      if (size > MAX_MESSAGE) throw new PvaDecodeError(`message of ${size} bytes is too large`);
      if (data.length - at - 8 < size) break;
      const payload = data.subarray(at + 8, at + 8 + size);
      at += 8 + size;
      const whole = this.segment(flags & FLAG.segmentMask, payload);
      if (whole) frames.push({ command, control: false, littleEndian, size: whole.length, payload: whole });
    }
    this.pending = data.slice(at);
    return frames;
  }

  private segment(kind: number, payload: Uint8Array): Uint8Array | null {
    if (kind === 0) {
      if (this.segments) throw new PvaDecodeError("unsegmented message inside a segmented one");
      return payload;
    }
    if (kind === FLAG.first) {
      if (this.segments) throw new PvaDecodeError("a first segment inside a segmented message");
      this.segments = [payload.slice()];
      this.segmentBytes = payload.length;
      return null;
    }
    if (!this.segments) throw new PvaDecodeError("a segment without its first one");
    this.segments.push(payload.slice());
    this.segmentBytes += payload.length;
    if (this.segmentBytes > MAX_MESSAGE) throw new PvaDecodeError("segmented message is too large");
    if (kind === FLAG.last) {
      const whole = concat(this.segments);
      this.segments = null;
      return whole;
    }
    return null;
  }
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
