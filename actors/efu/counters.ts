/**
 * The EFU's counters: a flat record of dotted names (as the reference EFU names them, e.g. `receive.packets`,
 * `parser.essheader.errors.cookie`), each actor owning its own. The command API and Graphite prefix them with
 * `efu.<instrument>.<region>.`.
 *
 * Counters that outlive their actor: the EFU tree gives each actor a {@linkcode counterStore} in its config (the
 * same memory for every incarnation, a `SharedArrayBuffer` shared with the Worker), so an actor restarted after a
 * crash goes on from the counts its predecessor reached, as the reference EFU's counters (which never restart) do.
 *
 * @module
 */

/** Named counters of one actor; every name is created (at 0) when the actor starts. */
export type Counters = Record<string, number>;

/** How many counters one store holds. */
export const STORE_SLOTS = 512;

/** Memory for one actor's counters that survives the actor's restarts; pass it to {@linkcode countersOf}. */
export function counterStore(): SharedArrayBuffer {
  return new SharedArrayBuffer(STORE_SLOTS * Float64Array.BYTES_PER_ELEMENT);
}

/**
 * A counters record with each of `names` (duplicates once). Without `store` the values start at 0 and die with the
 * actor. With a store they live in it, by position in `names`, so the actor must give the same names in the same
 * order at every start (they come from its config); the record is then sealed, so that a name not declared fails
 * loudly instead of silently not being kept.
 */
export function countersOf(names: readonly string[], store?: SharedArrayBuffer): Counters {
  const unique = [...new Set(names)];
  const counters: Counters = {};
  if (!store) {
    for (const n of unique) counters[n] = 0;
    return counters;
  }
  const slots = new Float64Array(store);
  if (unique.length > slots.length) {
    throw new RangeError(`Cannot keep ${unique.length} counters in a store of ${slots.length}`);
  }
  unique.forEach((name, i) =>
    Object.defineProperty(counters, name, {
      enumerable: true,
      get: () => slots[i],
      set: (value: number) => void (slots[i] = value),
    })
  );
  return Object.seal(counters);
}
