/**
 * The typed errors of the schema codecs: every malformed message is a {@linkcode BadBufferError}, every object an
 * encoder refuses is an {@linkcode EncodeError}. Both name the schema and the problem.
 *
 * @module
 */

/** A message that cannot be decoded: too short, unknown identifier, offset outside the buffer, missing field, ... */
export class BadBufferError extends SyntaxError {
  /**
   * @param schemaId the schema the buffer claimed to be (its bytes 4..7), or "" when too short to tell
   * @param message what is wrong, with the offending value
   */
  constructor(readonly schemaId: string, message: string, options?: ErrorOptions) {
    super(schemaId ? `${schemaId}: ${message}` : message, options);
    this.name = "BadBufferError";
  }
}

/** An object an encoder refuses: a missing required field, a value of the wrong type or out of range. */
export class EncodeError extends TypeError {
  /**
   * @param schemaId the schema being encoded
   * @param path the field, e.g. `Event44Message.source_name`
   * @param message what is wrong, with the offending value
   */
  constructor(readonly schemaId: string, readonly path: string, message: string) {
    super(`${schemaId}: ${path}: ${message}`);
    this.name = "EncodeError";
  }
}

/** A message that does not fit the memory given to `encodeInto`; a target of `needed` bytes would have fitted. */
export class TargetTooSmallError extends RangeError {
  /**
   * @param schemaId the schema being encoded
   * @param needed a target this long, starting at an 8-aligned address, fits the message (with a little slack)
   * @param available bytes of the target that was given
   */
  constructor(readonly schemaId: string, readonly needed: number, readonly available: number) {
    super(`${schemaId}: the message needs ${needed} bytes; the target has ${available}`);
    this.name = "TargetTooSmallError";
  }
}
