/**
 * Schema "ar51" (root table `RawReadoutMessage`): raw ESS readout UDP payloads forwarded by the EFU.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { layout, type RawReadoutMessage, type RawReadoutMessageInput } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "ar51": `encode(RawReadoutMessageInput)`, `decode(bytes)` → `RawReadoutMessage`, JSON form. */
export const ar51: Codec<RawReadoutMessage, RawReadoutMessageInput> = defineCodec<
  RawReadoutMessage,
  RawReadoutMessageInput
>(layout);
