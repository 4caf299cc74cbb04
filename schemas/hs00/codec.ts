/**
 * Schema "hs00" (root table `EventHistogram`): deprecated histogram with unsigned counts (superseded by hs01).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type EventHistogram, type EventHistogramInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "hs00": `encode(EventHistogramInput)`, `decode(bytes)` → `EventHistogram`, JSON form. */
export const hs00: Codec<EventHistogram, EventHistogramInput> = defineCodec<EventHistogram, EventHistogramInput>(
  layout,
);
