/**
 * Schema "df12" (root table `SpectraDetectorMapping`): Mantid spectrum to detector mapping (also nested in pl72).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { layout, type SpectraDetectorMapping, type SpectraDetectorMappingInput } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/**
 * Codec of schema "df12": `encode(SpectraDetectorMappingInput)`, `decode(bytes)` → `SpectraDetectorMapping`, JSON form.
 */
export const df12: Codec<SpectraDetectorMapping, SpectraDetectorMappingInput> = defineCodec<
  SpectraDetectorMapping,
  SpectraDetectorMappingInput
>(layout);
