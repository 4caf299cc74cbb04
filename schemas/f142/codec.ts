/**
 * Schema "f142" (root table `LogData`): deprecated log data with EPICS alarm status and severity (superseded by
 * f144).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { layout, type LogData, type LogDataInput } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "f142": `encode(LogDataInput)`, `decode(bytes)` → `LogData`, JSON form. */
export const f142: Codec<LogData, LogDataInput> = defineCodec<LogData, LogDataInput>(layout);
