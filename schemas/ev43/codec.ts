/**
 * Schema "ev43" (root table `Event43Message`): legacy multi-pulse neutron events (superseded by ev44).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type Event43Message, type Event43MessageInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "ev43": `encode(Event43MessageInput)`, `decode(bytes)` → `Event43Message`, JSON form. */
export const ev43: Codec<Event43Message, Event43MessageInput> = defineCodec<Event43Message, Event43MessageInput>(
  layout,
);
