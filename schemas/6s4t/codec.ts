/**
 * Schema "6s4t" (root table `RunStop`): file-writer run stop command (stop time in ms, 0 = now). `6s4t` is not an
 * identifier, so the export uses the table name.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { layout, type RunStop, type RunStopInput } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "6s4t": `encode(RunStopInput)`, `decode(bytes)` → `RunStop`, JSON form. */
export const runStop: Codec<RunStop, RunStopInput> = defineCodec<RunStop, RunStopInput>(layout);
