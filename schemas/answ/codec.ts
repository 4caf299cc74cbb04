/**
 * Schema "answ" (root table `ActionResponse`): file-writer reply to a start or stop command.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type ActionResponse, type ActionResponseInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "answ": `encode(ActionResponseInput)`, `decode(bytes)` → `ActionResponse`, JSON form. */
export const answ: Codec<ActionResponse, ActionResponseInput> = defineCodec<ActionResponse, ActionResponseInput>(
  layout,
);
