/**
 * The admin HTTP endpoint's requests and replies (loopback only). `GET /tree` returns a `TreeSnapshot` from
 * `supervision.ts`.
 *
 * @module
 */
import type { FaultKind } from "./runtime.ts";

/** `POST /chaos`: make an actor crash, hang or exit silently. Refused unless fault injection is enabled. */
export interface ChaosRequest {
  /** an actor id (unique in the tree) or path (`demo/counter`, `root/demo/counter`). */
  actor: string;
  fault: FaultKind;
}

/** The reply to `POST /chaos`. */
export type ChaosReply = { ok: true; path: string; fault: FaultKind } | { ok: false; error: string };

/** `GET /health`. */
export interface HealthReply {
  status: "ok" | "degraded" | "stopping";
  version: string;
  commit: string;
  uptimeMs: number;
  leakedThreads: number;
  /** actors not running now. */
  down: string[];
}
