/**
 * Builds the transfer list for a message, so that no call site writes its own: every `ArrayBuffer` (bare or behind a
 * typed array or `DataView`) and every `MessagePort` found in the message moves to the receiver without a copy, and
 * is detached at the sender.
 *
 * @module
 */

/** The objects `postMessage` can transfer that nxflow messages carry. */
export type Movable = ArrayBuffer | MessagePort;

/**
 * Collects the transferable objects in a message: its own fields, arrays and nested plain objects, to any depth.
 * Each buffer appears once even when several views share it. `SharedArrayBuffer`s are shared, not transferred.
 *
 * @example
 * ```ts
 * const events = new Uint32Array(1024);
 * const msg = { type: "events", pixels: events };
 * worker.postMessage(msg, transferablesOf(msg)); // events.buffer is now detached here
 * ```
 */
export function transferablesOf(message: unknown): Movable[] {
  const found: Movable[] = [];
  collect(message, found, 0);
  return found;
}

const MAX_DEPTH = 16;

function add(found: Movable[], item: Movable): void {
  if (!found.includes(item)) found.push(item);
}

function collect(value: unknown, found: Movable[], depth: number): void {
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return;
  if (value instanceof ArrayBuffer) {
    if (value.byteLength > 0) add(found, value);
  } else if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.buffer.byteLength > 0) add(found, value.buffer);
  } else if (value instanceof MessagePort) {
    add(found, value);
  } else if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === "object") collect(item, found, depth + 1);
    }
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const key in value) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== null && typeof field === "object") collect(field, found, depth + 1);
    }
  }
}
