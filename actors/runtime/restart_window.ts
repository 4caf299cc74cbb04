/**
 * OTP's restart intensity: at most `intensity` restarts within any `periodMs`.
 *
 * @module
 */

/** A sliding window of restart times. */
export class RestartWindow {
  #times: number[] = [];

  /** @param intensity restarts allowed within the period; @param periodMs the window's length. */
  constructor(readonly intensity: number, readonly periodMs: number) {}

  /**
   * Records a restart at `now` and tells whether it is still within the limit.
   *
   * @returns `false` when this restart is one too many: the supervisor must give up.
   */
  add(now: number): boolean {
    this.#times = this.#times.filter((t) => now - t < this.periodMs);
    this.#times.push(now);
    return this.#times.length <= this.intensity;
  }

  /** Restarts currently inside the window. */
  get size(): number {
    return this.#times.length;
  }
}
