/**
 * Schema "wrdn" (root table `FinishedWriting`): file-writer notice that a job's file has been closed.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type FinishedWriting, type FinishedWritingInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "wrdn": `encode(FinishedWritingInput)`, `decode(bytes)` → `FinishedWriting`, JSON form. */
export const wrdn: Codec<FinishedWriting, FinishedWritingInput> = defineCodec<FinishedWriting, FinishedWritingInput>(
  layout,
);
