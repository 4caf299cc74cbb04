/**
 * Schema "ev42" (root table `EventMessage`): legacy neutron events of one pulse, with optional ISIS or ADC-debug
 * facility data (superseded by ev44).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type EventMessage, type EventMessageInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "ev42": `encode(EventMessageInput)`, `decode(bytes)` → `EventMessage`, JSON form. */
export const ev42: Codec<EventMessage, EventMessageInput> = defineCodec<EventMessage, EventMessageInput>(layout);
