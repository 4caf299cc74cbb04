/**
 * The main thread's guard against unhandled promise rejections. Deno ends a process on one; nxflow's main thread
 * (supervisors, admin endpoint, role controls) must not die of a forgotten `catch`. The guard takes every unhandled
 * rejection of the thread, logs it with its stack, and counts it, so that `/health` reports `degraded`. It follows the
 * supervisors' escalation: more than `intensity` rejections within `periodMs` mean the main thread is failing for
 * good, and `onGiveUp` stops the tree gracefully (`nxflow start` then exits 3, as when the root supervisor gives up).
 *
 * @module
 */
import { RestartWindow } from "./restart_window.ts";

/** A guard installed on the main thread. */
export interface RejectionGuard {
  /** unhandled rejections taken so far. */
  readonly count: number;
  /** the last one's message, or null. */
  readonly last: string | null;
  /** Removes the guard. */
  dispose(): void;
}

/** Options of {@linkcode guardRejections}. */
export interface RejectionGuardOptions {
  /** logs one rejection: its stack (or the value) as text. */
  log(text: string): void;
  /** rejections allowed within `periodMs` before `onGiveUp`. */
  intensity: number;
  periodMs: number;
  /** called once, at the first rejection beyond the intensity. */
  onGiveUp(): void;
}

/** Installs the guard on this thread (`globalThis`); see the module doc. */
export function guardRejections(options: RejectionGuardOptions): RejectionGuard {
  const window = new RestartWindow(options.intensity, options.periodMs);
  let count = 0;
  let last: string | null = null;
  let gaveUp = false;
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    count++;
    const reason = event.reason;
    last = reason instanceof Error ? reason.message : String(reason);
    options.log(reason instanceof Error && reason.stack ? reason.stack : `non-Error rejection: ${String(reason)}`);
    if (!window.add(Date.now()) && !gaveUp) {
      gaveUp = true;
      options.onGiveUp();
    }
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  return {
    get count() {
      return count;
    },
    get last() {
      return last;
    },
    dispose: () => globalThis.removeEventListener("unhandledrejection", onRejection),
  };
}
