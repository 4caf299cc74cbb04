/**
 * Schema "x5f2" (root table `Status`): status heartbeat of a service (file writer, forwarder, ...).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { layout, type Status, type StatusInput } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "x5f2": `encode(StatusInput)`, `decode(bytes)` → `Status`, JSON form. */
export const x5f2: Codec<Status, StatusInput> = defineCodec<Status, StatusInput>(layout);
