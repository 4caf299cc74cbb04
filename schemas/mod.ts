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
export * from "./codecs.ts";
