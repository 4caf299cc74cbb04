/**
 * The EFU's counters: a flat record of dotted names (as the reference EFU names them, e.g. `receive.packets`,
 * `parser.essheader.errors.cookie`), each actor owning its own. The command API and Graphite prefix them with
 * `efu.<instrument>.<region>.`.
 *
 * @module
 */

/** Named counters of one actor; every name is created (at 0) when the actor starts. */
export type Counters = Record<string, number>;

/** A counters record with each of `names` at 0. */
export function countersOf(names: readonly string[]): Counters {
  const c: Counters = {};
  for (const n of names) c[n] = 0;
  return c;
}
