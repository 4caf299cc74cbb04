/**
 * ESS streaming data types: one codec per FlatBuffers schema (`ev44`, `f144`, `runStop` for 6s4t, ...), the registry
 * that dispatches on the 4-byte file identifier, the JSON form and the typed errors.
 *
 * @example
 * ```ts
 * import { decodeAny, ev44 } from "./mod.ts";
 * const bytes = ev44.encode({
 *   source_name: "det1", reference_time: [1700000000000000000n], reference_time_index: [0],
 *   time_of_flight: new Int32Array([100, 200]), pixel_id: new Int32Array([1, 2]),
 * });
 * const { id, message } = decodeAny(bytes); // "ev44", message.time_of_flight is an Int32Array view of bytes
 * ```
 *
 * @module
 */
export type { Codec } from "./codec.ts";
export { BadBufferError, EncodeError, TargetTooSmallError } from "./errors.ts";
export type { SchemaLayout } from "./layout.ts";
export { parseJsonForm } from "./json_form.ts";
export { fileIdentifier } from "./reader.ts";
export { type AnyMessage, decodeAny, SCHEMAS, toJsonAny } from "./registry.ts";
export { ev44 } from "./ev44/codec.ts";
export { ev42 } from "./ev42/codec.ts";
export { ev43 } from "./ev43/codec.ts";
export { an44 } from "./an44/codec.ts";
export { ar51 } from "./ar51/codec.ts";
export { f144 } from "./f144/codec.ts";
export { f142 } from "./f142/codec.ts";
export { al00 } from "./al00/codec.ts";
export { ep01 } from "./ep01/codec.ts";
export { ep00 } from "./ep00/codec.ts";
export { pl72 } from "./pl72/codec.ts";
export { runStop } from "./6s4t/codec.ts";
export { answ } from "./answ/codec.ts";
export { wrdn } from "./wrdn/codec.ts";
export { x5f2 } from "./x5f2/codec.ts";
export { hs01 } from "./hs01/codec.ts";
export { hs00 } from "./hs00/codec.ts";
export { da00 } from "./da00/codec.ts";
export { ad00 } from "./ad00/codec.ts";
export { tdct } from "./tdct/codec.ts";
export { se00 } from "./se00/codec.ts";
export { senv } from "./senv/codec.ts";
export { fc00 } from "./fc00/codec.ts";
export { rf5k } from "./rf5k/codec.ts";
export { json } from "./json/codec.ts";
export { df12 } from "./df12/codec.ts";
export { ns10 } from "./ns10/codec.ts";
