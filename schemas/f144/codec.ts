/**
 * Schema "f144" (root table `f144_LogData`): a time-stamped scalar or 1-D array value (EPICS PV update). Produced
 * by the forwarder, written as NXlog.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type f144_LogData, type f144_LogDataInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "f144": `encode(f144_LogDataInput)`, `decode(bytes)` → `f144_LogData`, JSON form. */
export const f144: Codec<f144_LogData, f144_LogDataInput> = defineCodec<f144_LogData, f144_LogDataInput>(layout);
