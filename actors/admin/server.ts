/**
 * The admin endpoint: a small HTTP server on loopback that shows the supervision tree and the actors' statistics, and
 * takes fault-injection requests.
 *
 * | route | reply |
 * |---|---|
 * | `GET /` | the list of routes |
 * | `GET /health` | `HealthReply`: ok, or degraded while an actor is down, a thread hung or the main thread had an unhandled rejection |
 * | `GET /tree` | `TreeSnapshot`: every supervisor and actor with state, restarts, uptime and counters |
 * | `GET /stats?actor=A` | `ActorStatsReply`: actor A's (id or path) reply to its `stats` request |
 * | `GET /stats` | `AllStatsReply`: the stats of every running actor that has a `stats` request, by path |
 * | `GET /metrics` | the same figures for Prometheus, in its text format (`metrics.ts`) |
 * | `POST /chaos` | `ChaosRequest` → `ChaosReply`; 403 unless started with fault injection enabled |
 * | `GET /live`, ... | the routes of roles that serve pages (the live view, `../live/routes.ts`) |
 *
 * Who may call what is `auth.ts`'s rule: reading is open on loopback, controls and clients on other hosts need the
 * admin token when one is set (`--admin-token-file`); `POST /chaos` also stays behind its flag.
 *
 * `GET /stats?actor=A` fails with 404 for an unknown actor (the error lists them), 501 when A has no `stats` request,
 * 502 when its handler threw, 503 when A cannot take requests (failed, or its stash is full) and 504 when it gives no
 * reply within 2 s. `GET /stats` asks every running actor at once and leaves out those without a `stats` request.
 *
 * Bad requests and failed `GET /stats?actor=` get a 4xx or 5xx with a JSON `{ok: false, error}` and are counted;
 * nothing a client sends can stop the process.
 *
 * @module
 */
import type {
  ActorStatsReply,
  AllStatsReply,
  ChaosReply,
  ChaosRequest,
  HealthReply,
  StatsError,
  StatsProtocol,
} from "../../protocols/admin.ts";
import { FAULT_KINDS, type FaultKind } from "../../protocols/runtime.ts";
import type { ActorSnapshot, SupervisorSnapshot } from "../../protocols/supervision.ts";
import { RemoteError, RequestTimeoutError, UndeliverableError } from "../runtime/errors.ts";
import type { ActorSystem } from "../runtime/system.ts";
import type { Log } from "../common/log.ts";
import { AdminAuth } from "./auth.ts";
import { ExitCounter, METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";

/** What the admin server gives the routes of a role. */
export interface AdminContext {
  /** `GET /health`'s reply now. */
  health: () => HealthReply;
  /** whether controls need the admin token. */
  tokenRequired: boolean;
}

/** More routes on the admin endpoint, served by a role (the live view). */
export interface AdminRoutes {
  /** listed by `GET /`. */
  routes: string[];
  /** Answers a request it serves; null for any other. */
  handle(req: Request, url: URL): Promise<Response | null>;
  /** Whether a GET path is open to anyone (pages and scripts that carry no data). */
  isPublic(pathname: string): boolean;
  close(): void;
}

/** Options of {@linkcode startAdminServer}. */
export interface AdminOptions {
  /** @default "127.0.0.1" */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** allow `POST /chaos`. @default false */
  faultInjection: boolean;
  version: string;
  commit: string;
  log: Log;
  /** the exits counted from the system's supervision events, for `GET /metrics`. */
  exits?: ExitCounter;
  /** unhandled promise rejections the main thread took so far (its guard's count); any makes /health degraded. */
  unhandledRejections?: () => number;
  /** the admin token (`--admin-token-file`'s text); null or absent: none. */
  token?: string | null;
  /** routes of roles, built once the server knows its context. */
  routes?: ((context: AdminContext) => AdminRoutes)[];
}

/** A running admin server. */
export interface AdminServer {
  /** e.g. `http://127.0.0.1:8790` */
  url: string;
  /** requests answered with an error: malformed, unknown, forbidden, or stats that could not be had. */
  readonly rejected: number;
  shutdown(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const STATS_TIMEOUT_MS = 2000;
const ROUTES = [
  "GET /health",
  "GET /tree",
  "GET /stats",
  "GET /stats?actor=<id or path>",
  "GET /metrics",
  "POST /chaos",
];

/** Serves the admin routes for a running system. */
export function startAdminServer(system: ActorSystem, options: AdminOptions): Promise<AdminServer> {
  let rejected = 0;
  const exits = options.exits ?? new ExitCounter();
  const auth = new AdminAuth(options.token ?? null);
  const context: AdminContext = { health: () => health(system, options), tokenRequired: auth.tokenSet };
  const extra = (options.routes ?? []).map((make) => make(context));
  const routes = [...ROUTES, ...extra.flatMap((r) => r.routes)];
  const reply = (status: number, body: unknown) => {
    if (status >= 400) rejected++;
    return Response.json(body, { status });
  };
  const handler = async (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> => {
    const url = new URL(req.url);
    const { pathname, searchParams } = url;
    const refused = auth.refuse(req, info.remoteAddr.hostname, extra.some((r) => r.isPublic(pathname)));
    if (refused) {
      rejected++;
      return refused;
    }
    const route = `${req.method} ${pathname}`;
    switch (route) {
      case "GET /":
        return reply(200, { routes });
      case "GET /health":
        return reply(200, health(system, options));
      case "GET /tree":
        return reply(200, system.snapshot());
      case "GET /stats": {
        const actor = searchParams.get("actor");
        if (actor === null) return reply(200, await allStats(system));
        return reply(...await actorStats(system, actor));
      }
      case "GET /metrics": {
        const source = { snapshot: () => system.snapshot(), stats: () => allStats(system) };
        const text = await renderMetrics(source, exits, { version: options.version, commit: options.commit });
        return new Response(text, { headers: { "content-type": METRICS_CONTENT_TYPE } });
      }
      case "POST /chaos": {
        const [status, body] = await chaos(system, req, options);
        return reply(status, body);
      }
    }
    for (const r of extra) {
      const response = await r.handle(req, url);
      if (response) {
        if (response.status >= 400) rejected++;
        return response;
      }
    }
    return reply(404, { ok: false, error: `No route ${route}; routes: ${routes.join(", ")}` });
  };
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: options.host,
        port: options.port,
        onListen: ({ hostname, port }) => {
          resolve({
            url: `http://${hostname}:${port}`,
            get rejected() {
              return rejected;
            },
            shutdown: () => {
              for (const r of extra) r.close();
              return server.shutdown();
            },
          });
        },
        onError: (error) => {
          options.log("error", "admin", `request failed: ${error}`);
          return reply(500, { ok: false, error: "internal error" });
        },
      }, handler);
    } catch (error) {
      reject(new Error(`Cannot start the admin endpoint on ${options.host}:${options.port}: ${error}`));
    }
  });
}

async function chaos(system: ActorSystem, req: Request, options: AdminOptions): Promise<[number, ChaosReply]> {
  if (!options.faultInjection) {
    return [403, { ok: false, error: "fault injection is disabled; start nxflow with --enable-fault-injection" }];
  }
  const text = await req.text();
  if (text.length > MAX_BODY) return [413, { ok: false, error: `body larger than ${MAX_BODY} bytes` }];
  let body: Partial<ChaosRequest>;
  try {
    body = JSON.parse(text);
  } catch {
    return [400, { ok: false, error: 'body must be JSON: {"actor": "<id or path>", "fault": "crash|hang|exit"}' }];
  }
  if (typeof body?.actor !== "string" || !FAULT_KINDS.includes(body.fault as FaultKind)) {
    return [400, { ok: false, error: `need "actor" (a string) and "fault" (one of ${FAULT_KINDS.join(", ")})` }];
  }
  try {
    const path = system.inject(body.actor, body.fault as FaultKind);
    options.log("warn", "admin", `fault injected: ${body.fault} into ${path}`);
    return [200, { ok: true, path, fault: body.fault as FaultKind }];
  } catch (error) {
    return [error instanceof RangeError ? 404 : 409, { ok: false, error: (error as Error).message }];
  }
}

/** Asks one actor for its stats; the status says why there are none. */
async function actorStats(system: ActorSystem, actor: string): Promise<[number, ActorStatsReply | StatsError]> {
  let ref;
  try {
    ref = system.ref<StatsProtocol>(actor);
  } catch (error) {
    return [404, { ok: false, error: (error as Error).message }];
  }
  try {
    return [200, { actor: ref.path, stats: await ref.request("stats", null, { timeoutMs: STATS_TIMEOUT_MS }) }];
  } catch (error) {
    return [statusOf(error as Error), { ok: false, error: (error as Error).message }];
  }
}

/** The HTTP status for a failed `stats` request; the runtime answers a request kind an actor lacks with a TypeError. */
function statusOf(error: Error): number {
  if (error instanceof RemoteError) {
    const missing = error.remote.name === "TypeError" && /answers no request "stats"$/.test(error.remote.message);
    return missing ? 501 : 502;
  }
  if (error instanceof RequestTimeoutError) return 504;
  return error instanceof UndeliverableError ? 503 : 500;
}

async function allStats(system: ActorSystem): Promise<AllStatsReply> {
  const running: string[] = [];
  const walk = (node: SupervisorSnapshot | ActorSnapshot) => {
    if (node.kind === "supervisor") node.children.forEach(walk);
    else if (node.state === "running") running.push(node.path);
  };
  walk(system.snapshot().root);
  const result: AllStatsReply = { stats: {}, failed: {} };
  const replies = await Promise.all(running.map((path) => actorStats(system, path)));
  replies.forEach(([status, body], i) => {
    if ("stats" in body) result.stats[running[i]] = body.stats;
    else if (status !== 501) result.failed[running[i]] = body.error;
  });
  return result;
}

function health(system: ActorSystem, options: AdminOptions): HealthReply {
  const snap = system.snapshot();
  const down: string[] = [];
  const walk = (node: SupervisorSnapshot | ActorSnapshot) => {
    if (node.kind === "actor") {
      if (node.state !== "running" && !(node.state === "stopped" && node.restart !== "permanent")) down.push(node.path);
    } else node.children.forEach(walk);
  };
  walk(snap.root);
  const stopping = snap.root.state === "stopping" || snap.root.state === "stopped";
  const rejections = options.unhandledRejections?.() ?? 0;
  return {
    status: stopping ? "stopping" : down.length || snap.leakedThreads || rejections ? "degraded" : "ok",
    version: options.version,
    commit: options.commit,
    uptimeMs: Date.now() - system.startedAt.getTime(),
    leakedThreads: snap.leakedThreads,
    down,
    unhandledRejections: rejections,
  };
}
