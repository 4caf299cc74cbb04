/**
 * A schema's codec: typed `encode`/`decode` and the JSON form, all driven by the schema's generated layout.
 *
 * @module
 */
import { EncodeError } from "./errors.ts";
import { parseJsonForm, toJsonForm } from "./json_form.ts";
import type { SchemaLayout } from "./layout.ts";
import { type DecodedTable, readMessage } from "./reader.ts";
import { writeMessage, writeMessageInto } from "./writer.ts";

/**
 * Encoder and decoder of one ESS schema. `T` is the decoded message type, `I` the encoder input type (both generated
 * from the `.fbs` into `schemas/<id>/generated/layout.ts`).
 *
 * @example
 * ```ts
 * import { f144 } from "../mod.ts";
 * const bytes = f144.encode({ source_name: "PV:T", timestamp: 1n, value_type: "Double", value: { value: 3.5 } });
 * const msg = f144.decode(bytes); // { source_name: "PV:T", timestamp: 1n, value_type: "Double", value: {...} }
 * console.log(f144.toJson(msg)); // {"source_name":"PV:T","timestamp":1,"value_type":"Double","value":{"value":3.5}}
 * ```
 */
export interface Codec<T = DecodedTable, I = unknown> {
  /** the 4-character file identifier. */
  readonly id: string;
  /** the schema's wire layout. */
  readonly layout: SchemaLayout;
  /** Encodes a message; throws `EncodeError` for a missing required field or a bad value. */
  encode(message: I): Uint8Array;
  /**
   * Encodes a message into the memory of `target` and returns the view of `target` that holds it (at its end):
   * the fast path for a producer that reuses one buffer. Throws `EncodeError` like `encode`, and
   * `TargetTooSmallError` (with a size that fits) when the message does not fit; after any error `target` may
   * have been written to.
   */
  encodeInto(message: I, target: Uint8Array): Uint8Array;
  /**
   * Decodes and validates a message; throws `BadBufferError` for anything malformed. Numeric vectors view `bytes`
   * without copying when aligned, so do not reuse `bytes` while the result is in use.
   */
  decode(bytes: Uint8Array): T;
  /** The JSON form of a decoded message (one line, 64-bit integers exact). */
  toJson(message: T): string;
  /** Encodes JSON-form text; throws `EncodeError` for text that is not JSON or a bad object. */
  encodeJson(text: string): Uint8Array;
}

/** Builds the codec of the schema described by `layout`. */
export function defineCodec<T, I>(layout: SchemaLayout): Codec<T, I> {
  return {
    id: layout.id,
    layout,
    encode: (message) => writeMessage(layout, message),
    encodeInto: (message, target) => writeMessageInto(layout, message, target),
    decode: (bytes) => readMessage(layout, bytes) as T,
    toJson: (message) => toJsonForm(layout, message as DecodedTable),
    encodeJson(text) {
      let parsed: unknown;
      try {
        parsed = parseJsonForm(text);
      } catch (error) {
        throw new EncodeError(layout.id, "input", `not JSON: ${(error as Error).message}`);
      }
      return writeMessage(layout, parsed);
    },
  };
}
