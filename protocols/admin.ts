/**
 * The admin HTTP endpoint's requests and replies (loopback only). `GET /tree` returns a `TreeSnapshot` from
 * `supervision.ts`; `GET /stats` returns what actors answer to their `stats` request ({@linkcode StatsProtocol}).
 *
 * @module
 */
import type { FaultKind, None } from "./runtime.ts";

/** `POST /chaos`: make an actor crash, hang or exit silently. Refused unless fault injection is enabled. */
export interface ChaosRequest {
  /** an actor id (unique in the tree) or path (`efu/detector/formation`, `root/efu/detector/formation`). */
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
  /** unhandled promise rejections the main thread took (logged with their stacks); any makes the status degraded. */
  unhandledRejections: number;
}

/**
 * What `GET /stats` asks of an actor: a `stats` request with no body. Actors that answer one declare it in their own
 * protocol's `requests`, with their own reply type (e.g. `SerialiserStats` in `forwarder.ts`).
 */
export interface StatsProtocol {
  in: None;
  requests: { stats: { request: null; reply: unknown } };
  out: None;
  ports: None;
}

/** `GET /stats?actor=<id or path>`: one actor's stats. */
export interface ActorStatsReply {
  /** the actor's full path, e.g. `root/forwarder/serialiser`. */
  actor: string;
  /** the actor's reply to its `stats` request, as JSON. */
  stats: unknown;
}

/** `GET /stats`: the stats of every actor that answered, keyed by full path. */
export interface AllStatsReply {
  stats: Record<string, unknown>;
  /** running actors that neither answered nor said they have no `stats` request (failed, timed out), and why. */
  failed: Record<string, string>;
}

/** The reply to a `GET /stats` that failed: 404 unknown actor, 501 no `stats` request, 502, 503, 504. */
export interface StatsError {
  ok: false;
  error: string;
}
