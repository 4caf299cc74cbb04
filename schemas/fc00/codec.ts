/**
 * Schema "fc00" (root table `fc00_ConfigUpdate`): forwarder configuration change: streams to add, remove or
 * replace.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type fc00_ConfigUpdate, type fc00_ConfigUpdateInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "fc00": `encode(fc00_ConfigUpdateInput)`, `decode(bytes)` → `fc00_ConfigUpdate`, JSON form. */
export const fc00: Codec<fc00_ConfigUpdate, fc00_ConfigUpdateInput> = defineCodec<
  fc00_ConfigUpdate,
  fc00_ConfigUpdateInput
>(layout);
