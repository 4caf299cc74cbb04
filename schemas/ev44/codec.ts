/**
 * Schema "ev44" (root table `Event44Message`): neutron events: one or more pulses (reference_time) with per-event
 * time of flight and pixel id. Produced by the EFU, written by the file writer as NXevent_data.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type Event44Message, type Event44MessageInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "ev44": `encode(Event44MessageInput)`, `decode(bytes)` → `Event44Message`, JSON form. */
export const ev44: Codec<Event44Message, Event44MessageInput> = defineCodec<Event44Message, Event44MessageInput>(
  layout,
);
