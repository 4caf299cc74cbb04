/**
 * Every schema codec, keyed by the 4-character file identifier: each export of `codecs.ts` (add a schema there, with
 * one line). The registry checks itself on load (4-character ids, no duplicates).
 *
 * @module
 */
import type { Codec } from "./codec.ts";
import * as CODECS from "./codecs.ts";
import { BadBufferError } from "./errors.ts";
import type { DecodedTable } from "./reader.ts";
import { fileIdentifier } from "./reader.ts";

/** A registry of codecs by file identifier. */
export type Registry = ReadonlyMap<string, Codec<unknown, unknown>>;

/** Builds a registry; throws `TypeError` for an id that is not 4 characters or appears twice. */
export function defineRegistry(codecs: readonly Codec<unknown, never>[]): Registry {
  const map = new Map<string, Codec<unknown, unknown>>();
  for (const codec of codecs) {
    if (!/^[\x20-\x7e]{4}$/.test(codec.id)) {
      throw new TypeError(`schema id ${JSON.stringify(codec.id)} is not 4 characters`);
    }
    if (map.has(codec.id)) throw new TypeError(`schema id "${codec.id}" is registered twice`);
    map.set(codec.id, codec as Codec<unknown, unknown>);
  }
  return map;
}

/** Every schema nxflow knows, by file identifier. */
export const SCHEMAS: Registry = defineRegistry(Object.values(CODECS));

/** A message decoded through the registry: its schema id and its decoded root table. */
export interface AnyMessage {
  id: string;
  message: DecodedTable;
}

/** Decodes a message of any registered schema; throws `BadBufferError` for a short, unknown or malformed buffer. */
export function decodeAny(bytes: Uint8Array): AnyMessage {
  const id = fileIdentifier(bytes);
  const codec = SCHEMAS.get(id);
  if (!codec) throw new BadBufferError(id, `unknown file identifier ${JSON.stringify(id)}`);
  return { id, message: codec.decode(bytes) as DecodedTable };
}

/** The JSON form of a message of any registered schema; throws `BadBufferError` like {@linkcode decodeAny}. */
export function toJsonAny(bytes: Uint8Array): string {
  const { id, message } = decodeAny(bytes);
  return SCHEMAS.get(id)!.toJson(message);
}
