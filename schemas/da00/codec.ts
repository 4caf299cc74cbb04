/**
 * Schema "da00" (root table `da00_DataArray`): a data array: named variables with shape, axes, unit and raw little-
 * endian data (EFU histograms).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type da00_DataArray, type da00_DataArrayInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "da00": `encode(da00_DataArrayInput)`, `decode(bytes)` → `da00_DataArray`, JSON form. */
export const da00: Codec<da00_DataArray, da00_DataArrayInput> = defineCodec<da00_DataArray, da00_DataArrayInput>(
  layout,
);
