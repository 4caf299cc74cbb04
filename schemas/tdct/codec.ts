/**
 * Schema "tdct" (root table `timestamp`): chopper top-dead-centre timestamps (ns) from the forwarder.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { layout, type timestamp, type timestampInput } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "tdct": `encode(timestampInput)`, `decode(bytes)` → `timestamp`, JSON form. */
export const tdct: Codec<timestamp, timestampInput> = defineCodec<timestamp, timestampInput>(layout);
