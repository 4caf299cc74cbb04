/**
 * The counters of a job (`JobStats` in protocols/writer.ts), apart from the file writing code so that the main
 * thread's job manager does not load h5wasm.
 *
 * @module
 */
import type { JobStats } from "../../protocols/writer.ts";

/** Counters of a new job. */
export function emptyStats(): JobStats {
  return {
    ...{ received: 0, written: 0, badMessages: 0, filtered: 0, unrouted: 0, duplicates: 0, writeErrors: 0 },
    ...{ bytes: 0, resumes: 0, events: 0 },
  };
}
