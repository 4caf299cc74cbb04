/**
 * Schema "senv" (root table `SampleEnvironmentData`): deprecated sample-environment samples (replaced by se00).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { layout, type SampleEnvironmentData, type SampleEnvironmentDataInput } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/**
 * Codec of schema "senv": `encode(SampleEnvironmentDataInput)`, `decode(bytes)` → `SampleEnvironmentData`, JSON form.
 */
export const senv: Codec<SampleEnvironmentData, SampleEnvironmentDataInput> = defineCodec<
  SampleEnvironmentData,
  SampleEnvironmentDataInput
>(layout);
