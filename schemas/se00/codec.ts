/**
 * Schema "se00" (root table `se00_SampleEnvironmentData`): a block of sample-environment samples with timing
 * information.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { layout, type se00_SampleEnvironmentData, type se00_SampleEnvironmentDataInput } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/**
 * Codec of schema "se00": `encode(se00_SampleEnvironmentDataInput)`, `decode(bytes)` → `se00_SampleEnvironmentData`,
 * JSON form.
 */
export const se00: Codec<se00_SampleEnvironmentData, se00_SampleEnvironmentDataInput> = defineCodec<
  se00_SampleEnvironmentData,
  se00_SampleEnvironmentDataInput
>(layout);
