/**
 * Schema "ep01" (root table `EpicsPVConnectionInfo`): EPICS PV connection state changes, produced by the forwarder.
 * Types and layout are generated from the `.fbs` beside this file.
 *
 * @module
 */
import { type Codec, defineCodec } from "../codec.ts";
import { type EpicsPVConnectionInfo, type EpicsPVConnectionInfoInput, layout } from "./generated/layout.ts";

export type * from "./generated/layout.ts";

/**
 * Codec of schema "ep01": `encode(EpicsPVConnectionInfoInput)`, `decode(bytes)` → `EpicsPVConnectionInfo`, JSON form.
 */
export const ep01: Codec<EpicsPVConnectionInfo, EpicsPVConnectionInfoInput> = defineCodec<
  EpicsPVConnectionInfo,
  EpicsPVConnectionInfoInput
>(layout);
