/**
 * Schema "ep00" (root table `EpicsConnectionInfo`): deprecated EPICS connection events (replaced by ep01).
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type EpicsConnectionInfo, type EpicsConnectionInfoInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/** Codec of schema "ep00": `encode(EpicsConnectionInfoInput)`, `decode(bytes)` → `EpicsConnectionInfo`, JSON form. */
export const ep00: Codec<EpicsConnectionInfo, EpicsConnectionInfoInput> = defineCodec<
  EpicsConnectionInfo,
  EpicsConnectionInfoInput
>(layout);
