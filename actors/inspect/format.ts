/**
 * How `nxflow inspect` prints a message: decoded to its JSON form (or the reason it cannot be), as a JSON line or a
 * table row. Shared by the command (files, stdin) and the printer actor (a Kafka topic).
 *
 * @module
 */
import { BadBufferError, toJsonAny } from "../../schemas/mod.ts";
import type { ConsumedRecord } from "../../protocols/broker.ts";

/** One inspected message: where it came from, its size, its identifier, and its JSON form or the error. */
export interface Inspected {
  source: string;
  size: number;
  schema: string | null;
  message?: string;
  error?: string;
}

/** Decodes one message for printing; never throws for bad bytes. */
export function inspectBytes(source: string, bytes: Uint8Array): Inspected {
  const schema = bytes.length >= 8 ? String.fromCharCode(...bytes.subarray(4, 8)) : null;
  try {
    return { source, size: bytes.length, schema, message: toJsonAny(bytes) };
  } catch (error) {
    if (!(error instanceof BadBufferError)) throw error;
    return { source, size: bytes.length, schema, error: error.message };
  }
}

/** `"size","schema"` and `"message"` (embedded as is, so 64-bit integers stay exact) or `"error"` of a result. */
function resultFields(r: Inspected): string {
  const head = `"size":${r.size},"schema":${JSON.stringify(r.schema)}`;
  return r.message !== undefined ? `${head},"message":${r.message}` : `${head},"error":${JSON.stringify(r.error)}`;
}

/** Formats one result as a JSON line. */
export function jsonLine(r: Inspected): string {
  return `{"source":${JSON.stringify(r.source)},${resultFields(r)}}`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The record's key as JSON fields: `"key":"text"`, `"key":null`, or `"key_hex":"..."` when it is not UTF-8. */
function keyField(key: Uint8Array | null): string {
  if (key === null) return `"key":null`;
  try {
    return `"key":${JSON.stringify(utf8.decode(key))}`;
  } catch {
    return `"key_hex":"${Array.from(key, (b) => b.toString(16).padStart(2, "0")).join("")}"`;
  }
}

/** Formats one Kafka record as a JSON line: where it is in Kafka, then the message as in {@linkcode jsonLine}. */
export function recordJsonLine(topic: string, partition: number, record: ConsumedRecord, r: Inspected): string {
  const where = `"topic":${JSON.stringify(topic)},"partition":${partition},"offset":${record.offset}`;
  return `{${where},"timestamp":${record.timestampMs},${keyField(record.key)},${resultFields(r)}}`;
}

/** Formats one result as a table row: source, size, identifier and the start of the message. */
export function tableLine(r: Inspected, width = 24): string {
  const text = r.message ?? `ERROR ${r.error}`;
  const shown = text.length > 100 ? `${text.slice(0, 97)}...` : text;
  return `${r.source.padEnd(width)} ${String(r.size).padStart(9)}  ${(r.schema ?? "----").padEnd(4)}  ${shown}`;
}

/** Topic mode's first table column: `partition@offset` and the record's timestamp. */
export const TOPIC_WIDTH = 40;

/** The table's heading row, `first` naming the first column. */
export const tableHead = (first: string, width = 24) => `${first.padEnd(width)} ${"size".padStart(9)}  id    message`;
