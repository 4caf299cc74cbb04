/**
 * Schema "pl72" (root table `RunStart`): file-writer run start command (job id, file name, NeXus structure, control
 * topic).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { layout, type RunStart, type RunStartInput } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "pl72": `encode(RunStartInput)`, `decode(bytes)` → `RunStart`, JSON form. */
export const pl72: Codec<RunStart, RunStartInput> = defineCodec<RunStart, RunStartInput>(layout);
