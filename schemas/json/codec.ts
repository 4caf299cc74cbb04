/**
 * Schema "json" (root table `JsonData`): a generic JSON text carrier.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type JsonData, type JsonDataInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "json": `encode(JsonDataInput)`, `decode(bytes)` → `JsonData`, JSON form. */
export const json: Codec<JsonData, JsonDataInput> = defineCodec<JsonData, JsonDataInput>(layout);
