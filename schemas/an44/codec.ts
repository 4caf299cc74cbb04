/**
 * Schema "an44" (root table `an44_EventMessage`): ANSTO neutron events: ev44 plus a per-event weight.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type an44_EventMessage, type an44_EventMessageInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "an44": `encode(an44_EventMessageInput)`, `decode(bytes)` → `an44_EventMessage`, JSON form. */
export const an44: Codec<an44_EventMessage, an44_EventMessageInput> = defineCodec<
  an44_EventMessage,
  an44_EventMessageInput
>(layout);
