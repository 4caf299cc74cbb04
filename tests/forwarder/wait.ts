/** Polling for the forwarder tests: waits (bounded) until a probe's value passes a check. */

/** Polls `probe` every 50 ms until `check` passes; throws after `timeoutMs` with `what` and the last value. */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (check(value)) return value;
    if (performance.now() > deadline) {
      const shown = JSON.stringify(value, (_, v) => typeof v === "bigint" ? String(v) : v) ?? String(value);
      throw new Error(`Timed out waiting for ${what}; last: ${shown.slice(0, 800)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
