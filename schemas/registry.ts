/**
 * Every schema codec, keyed by the 4-character file identifier. Add a schema by writing its folder and adding one
 * line here; the registry checks itself on load (4-character ids, no duplicates).
 *
 * @module
 */
import type { Codec } from "./codec.ts";
import { ev44 } from "./ev44/codec.ts";
import { ev42 } from "./ev42/codec.ts";
import { ev43 } from "./ev43/codec.ts";
import { an44 } from "./an44/codec.ts";
import { ar51 } from "./ar51/codec.ts";
import { f144 } from "./f144/codec.ts";
import { f142 } from "./f142/codec.ts";
import { al00 } from "./al00/codec.ts";
import { ep01 } from "./ep01/codec.ts";
import { ep00 } from "./ep00/codec.ts";
import { pl72 } from "./pl72/codec.ts";
import { runStop } from "./6s4t/codec.ts";
import { answ } from "./answ/codec.ts";
import { wrdn } from "./wrdn/codec.ts";
import { x5f2 } from "./x5f2/codec.ts";
import { hs01 } from "./hs01/codec.ts";
import { hs00 } from "./hs00/codec.ts";
import { da00 } from "./da00/codec.ts";
import { ad00 } from "./ad00/codec.ts";
import { tdct } from "./tdct/codec.ts";
import { se00 } from "./se00/codec.ts";
import { senv } from "./senv/codec.ts";
import { fc00 } from "./fc00/codec.ts";
import { rf5k } from "./rf5k/codec.ts";
import { json } from "./json/codec.ts";
import { df12 } from "./df12/codec.ts";
import { ns10 } from "./ns10/codec.ts";
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
export const SCHEMAS: Registry = defineRegistry([
  ev44,
  ev42,
  ev43,
  an44,
  ar51,
  f144,
  f142,
  al00,
  ep01,
  ep00,
  pl72,
  runStop,
  answ,
  wrdn,
  x5f2,
  hs01,
  hs00,
  da00,
  ad00,
  tdct,
  se00,
  senv,
  fc00,
  rf5k,
  json,
  df12,
  ns10,
]);

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
