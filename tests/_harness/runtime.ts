/**
 * Helpers for tests of the actor runtime: the recorder actor's module, a system that records its events, and
 * polling with a deadline.
 */
import { ActorSystem, type SupervisorSpec, type SystemOptions } from "../../actors/runtime/mod.ts";
import type { SupervisorEvent } from "../../protocols/supervision.ts";

export { waitFor } from "./wait.ts";

/** The recorder test actor (tests/_fixtures/actors/recorder.ts). */
export const RECORDER: URL = new URL("../_fixtures/actors/recorder.ts", import.meta.url);

/**
 * Short heartbeat settings, so that silent exits and hangs are found quickly in tests, yet 1 s of silence: an idle
 * worker thread left without CPU for a few hundred ms on a loaded 2-core machine is not taken for hung (a starved
 * checker on the main thread is told apart by the runtime itself).
 */
export const FAST_HEARTBEAT = { heartbeatMs: 50, heartbeatTimeoutMs: 1000 } as const;

/** A started system and every event it published. */
export interface Recorded {
  system: ActorSystem;
  events: SupervisorEvent[];
  fatal: { reason: string; code: number }[];
}

/** Starts a tree whose events (and fatal calls, which do not exit the test process) are recorded. */
export async function startRecorded(spec: SupervisorSpec, options: SystemOptions = {}): Promise<Recorded> {
  const events: SupervisorEvent[] = [];
  const fatal: { reason: string; code: number }[] = [];
  const system = await ActorSystem.start(spec, {
    ...options,
    onEvent: (e) => events.push(e),
    onFatal: (reason, code) => fatal.push({ reason, code }),
  });
  return { system, events, fatal };
}

/** The events of one type, as `path:kind` strings, for compact assertions. */
export function eventsOf(events: SupervisorEvent[], type: SupervisorEvent["type"]): string[] {
  return events.filter((e) => e.type === type).map((e) => (e.kind ? `${e.path}:${e.kind}` : e.path));
}
