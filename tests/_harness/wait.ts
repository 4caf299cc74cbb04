/**
 * Bounded polling for tests: wait until something observable passes a check, or fail with what was last seen.
 */

/**
 * Polls `probe` until `check` passes and returns that value; throws after `timeoutMs`, naming `what` and showing
 * the last value (64-bit integers included).
 */
export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (check(value)) return value;
    if (performance.now() > deadline) {
      const shown = JSON.stringify(value, (_, v) => typeof v === "bigint" ? String(v) : v) ?? String(value);
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last: ${shown.slice(0, 800)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls until `check` returns a truthy value and returns it; throws after `timeoutMs`. */
export function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  return eventually(what, check, Boolean, timeoutMs) as Promise<T>;
}
