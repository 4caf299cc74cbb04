/**
 * Schema "hs01" (root table `EventHistogram`): an n-dimensional histogram with bin edges per dimension.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type EventHistogram, type EventHistogramInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "hs01": `encode(EventHistogramInput)`, `decode(bytes)` → `EventHistogram`, JSON form. */
export const hs01: Codec<EventHistogram, EventHistogramInput> = defineCodec<EventHistogram, EventHistogramInput>(
  layout,
);
