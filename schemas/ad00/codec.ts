/**
 * Schema "ad00" (root table `ad00_ADArray`): an area-detector image: dimensions, data type, raw data and
 * attributes.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type ad00_ADArray, type ad00_ADArrayInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "ad00": `encode(ad00_ADArrayInput)`, `decode(bytes)` → `ad00_ADArray`, JSON form. */
export const ad00: Codec<ad00_ADArray, ad00_ADArrayInput> = defineCodec<ad00_ADArray, ad00_ADArrayInput>(layout);
