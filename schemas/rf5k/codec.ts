/**
 * Schema "rf5k" (root table `ConfigUpdate`): deprecated forwarder configuration change (superseded by fc00).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type ConfigUpdate, type ConfigUpdateInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "rf5k": `encode(ConfigUpdateInput)`, `decode(bytes)` → `ConfigUpdate`, JSON form. */
export const rf5k: Codec<ConfigUpdate, ConfigUpdateInput> = defineCodec<ConfigUpdate, ConfigUpdateInput>(layout);
