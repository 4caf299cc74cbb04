/**
 * Restart delays that grow exponentially with jitter, and reset once a child has run long enough.
 *
 * @module
 */
import type { BackoffOptions } from "./child_spec.ts";

/** Tracks one child's consecutive failures and computes its next restart delay. */
export class Backoff {
  #consecutive = 0;

  /** @param options the child's resolved backoff, or `null` for no delay; @param random for tests. */
  constructor(readonly options: Required<BackoffOptions> | null, readonly random: () => number = Math.random) {}

  /**
   * The delay before the next restart, in ms.
   *
   * @param ranForMs how long the instance that just exited had been running.
   */
  next(ranForMs: number): number {
    const o = this.options;
    if (!o) return 0;
    if (ranForMs >= o.resetAfterMs) this.#consecutive = 0;
    const base = Math.min(o.maxMs, o.initialMs * o.factor ** this.#consecutive);
    this.#consecutive++;
    const spread = base * o.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(Math.min(o.maxMs, base + spread)));
  }
}
