/**
 * Schema "ns10" (root table `CacheEntry`): deprecated NICOS cache entry.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type CacheEntry, type CacheEntryInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "ns10": `encode(CacheEntryInput)`, `decode(bytes)` → `CacheEntry`, JSON form. */
export const ns10: Codec<CacheEntry, CacheEntryInput> = defineCodec<CacheEntry, CacheEntryInput>(layout);
