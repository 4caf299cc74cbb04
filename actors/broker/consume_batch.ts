/**
 * Turns the records of one fetch into what crosses the consumer's `batches` channel: keys and values in buffers the
 * consumer owns and can transfer, with at most one copy from the bytes the socket read.
 *
 * The library parses values as views into the socket's chunks (no copy) unless a value spans two chunks, which it
 * copies into a buffer of its own. Views into socket chunks cannot be transferred (the chunks hold other records and
 * the next response), so they are copied once into one packed buffer. A large value that already sits alone in a
 * buffer of its own is handed on as it is: that buffer is transferred, not copied again.
 *
 * @module
 */
import type { ConsumedRecord } from "../../protocols/broker.ts";
import type { FetchedRecord } from "./fetcher.ts";

/** Values at least this large that own their whole buffer are transferred without a copy. */
const OWN_BUFFER_MIN = 64 * 1024;

const decoder = new TextDecoder();

/** Whether a value is the whole of a buffer no one else uses (the library copied it out of the socket's chunks). */
function ownsBuffer(v: Uint8Array): boolean {
  return v.byteLength >= OWN_BUFFER_MIN && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength &&
    v.buffer instanceof ArrayBuffer;
}

/**
 * Packs fetched records: returns them as {@linkcode ConsumedRecord}s whose keys and values live in one new buffer,
 * except large values that own their buffer, and the bytes of keys and values.
 */
export function packBatch(fetched: FetchedRecord[]): { records: ConsumedRecord[]; bytes: number } {
  let packed = 0;
  let bytes = 0;
  for (const r of fetched) {
    const k = r.key?.byteLength ?? 0;
    const v = r.value?.byteLength ?? 0;
    bytes += k + v;
    packed += k + (r.value && ownsBuffer(r.value) ? 0 : v);
  }
  const buffer = new Uint8Array(packed);
  let at = 0;
  const place = (b: Uint8Array): Uint8Array => {
    buffer.set(b, at);
    at += b.byteLength;
    return buffer.subarray(at - b.byteLength, at);
  };
  const records = fetched.map((r): ConsumedRecord => {
    const headers: Record<string, string> = {};
    for (const [k, v] of r.headers) if (k) headers[decoder.decode(k)] = v ? decoder.decode(v) : "";
    const value = r.value === null ? buffer.subarray(at, at) : ownsBuffer(r.value) ? r.value : place(r.value);
    return {
      offset: r.offset,
      timestampMs: r.timestampMs,
      key: r.key ? place(r.key) : null,
      value: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
      headers,
    };
  });
  return { records, bytes };
}
