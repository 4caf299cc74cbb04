/**
 * `nxflow chaos --soak`: faults into random actors of a running nxflow, one every interval for a duration, through
 * its admin endpoint, then a report. Each fault is a crash or a silent exit, picked with a seeded random generator
 * (`--seed` repeats a soak), and at most `maxHangs` hangs (a hung thread cannot be reclaimed; more than the
 * instance's `supervisor.maxLeakedThreads` end it with code 4). After the last fault the soak waits until every actor
 * runs again, and reports the faults by actor and kind, the restarts `GET /tree` shows, and the health.
 *
 * @module
 */
import type { ChaosReply, HealthReply } from "../../protocols/admin.ts";
import type { FaultKind } from "../../protocols/runtime.ts";
import type { ActorSnapshot, SupervisorSnapshot, TreeSnapshot } from "../../protocols/supervision.ts";
import { seededRandom } from "../common/seeded_random.ts";

/** What a soak does. */
export interface SoakOptions {
  admin: string;
  /** the admin token, when the instance has one. */
  token?: string;
  intervalMs: number;
  durationMs: number;
  seed: number;
  /** hangs allowed (each leaks a thread for good). */
  maxHangs: number;
  /** how long to wait for every actor to run again after the last fault. */
  recoveryMs: number;
}

/** What a soak did and found. */
export interface SoakReport {
  seed: number;
  faults: number;
  /** faults the instance refused (e.g. the actor was restarting at that moment). */
  refused: number;
  byKind: Record<string, number>;
  /** faults injected per actor path. */
  byActor: Record<string, number>;
  /** restarts per actor path at the end, from `GET /tree`. */
  restarts: Record<string, number>;
  /** actors not running at the end (none after a recovery). */
  notRunning: string[];
  health: HealthReply;
}

function actors(node: ActorSnapshot | SupervisorSnapshot): ActorSnapshot[] {
  return node.kind === "supervisor" ? node.children.flatMap(actors) : [node];
}

async function tree(admin: string): Promise<ActorSnapshot[]> {
  const snapshot: TreeSnapshot = await (await fetch(new URL("/tree", admin))).json();
  return actors(snapshot.root);
}

/** Runs a soak (see the module doc); `onFault` hears of each fault as it is injected. */
export async function soak(o: SoakOptions, onFault: (line: string) => void): Promise<SoakReport> {
  const random = seededRandom(o.seed);
  const report: SoakReport = {
    ...{ seed: o.seed, faults: 0, refused: 0, byKind: {}, byActor: {}, restarts: {}, notRunning: [] },
    health: null as unknown as HealthReply,
  };
  let hangs = 0;
  const end = Date.now() + o.durationMs;
  while (Date.now() < end) {
    const running = (await tree(o.admin)).filter((a) => a.state === "running");
    if (running.length > 0) {
      const actor = running[Math.floor(random() * running.length)].path;
      let fault: FaultKind = random() < 0.5 ? "crash" : "exit";
      if (hangs < o.maxHangs && random() < 0.1) fault = "hang";
      const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
      const body = JSON.stringify({ actor, fault });
      const res = await fetch(new URL("/chaos", o.admin), { method: "POST", body, headers });
      const reply: ChaosReply = await res.json();
      if (reply.ok) {
        report.faults++;
        if (fault === "hang") hangs++;
        report.byKind[fault] = (report.byKind[fault] ?? 0) + 1;
        report.byActor[actor] = (report.byActor[actor] ?? 0) + 1;
        onFault(`${fault} injected into ${actor}`);
      } else {
        report.refused++;
        onFault(`refused: ${reply.error}`);
      }
    }
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(o.intervalMs, end - Date.now()))));
  }
  const deadline = Date.now() + o.recoveryMs;
  let last = await tree(o.admin);
  while (last.some((a) => a.state !== "running") && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await tree(o.admin);
  }
  report.notRunning = last.filter((a) => a.state !== "running").map((a) => a.path);
  report.restarts = Object.fromEntries(last.filter((a) => a.restarts > 0).map((a) => [a.path, a.restarts]));
  report.health = await (await fetch(new URL("/health", o.admin))).json();
  return report;
}
