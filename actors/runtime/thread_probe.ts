/**
 * Tells a worker that exited with no notice from one that hangs, which heartbeats alone cannot.
 *
 * Each worker reports its OS thread (`/proc/thread-self`, e.g. `4711/task/4720`) when it is ready. After a worker
 * misses its heartbeats and is terminated, its thread is gone if it had exited, and still there if it is spinning in
 * synchronous code, which `Worker.terminate()` cannot stop in Deno.
 *
 * @module
 */

/**
 * Whether a worker's thread still runs.
 *
 * @param thread the `<pid>/task/<tid>` the worker reported, or `null`.
 * @returns `null` when it cannot be told (no /proc, no permission, thread unknown).
 */
export function threadAlive(thread: string | null): boolean | null {
  const m = thread?.match(/^(\d+)\/task\/(\d+)$/);
  if (!m || Number(m[1]) !== Deno.pid) return null;
  try {
    Deno.statSync(`/proc/self/task/${m[2]}`);
    return true;
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? false : null;
  }
}
