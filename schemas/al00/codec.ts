/**
 * Schema "al00" (root table `Alarm`): an alarm (severity and message) of a source; produced by the forwarder on
 * changes.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type Alarm, type AlarmInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "al00": `encode(AlarmInput)`, `decode(bytes)` → `Alarm`, JSON form. */
export const al00: Codec<Alarm, AlarmInput> = defineCodec<Alarm, AlarmInput>(layout);
