/**
 * The admin endpoint: a small HTTP server on loopback that shows the supervision tree and takes fault-injection
 * requests. Later roles add their status and metrics here.
 *
 * | route | reply |
 * |---|---|
 * | `GET /` | the list of routes |
 * | `GET /health` | `HealthReply`: ok, or degraded while an actor is down or a thread hung |
 * | `GET /tree` | `TreeSnapshot`: every supervisor and actor with state, restarts, uptime and counters |
 * | `POST /chaos` | `ChaosRequest` → `ChaosReply`; 403 unless started with fault injection enabled |
 *
 * Bad requests get a 4xx with a JSON `{ok: false, error}` and are counted; nothing a client sends can stop the
 * process.
 *
 * @module
 */
import type { ChaosReply, ChaosRequest, HealthReply } from "../../protocols/admin.ts";
import { FAULT_KINDS, type FaultKind } from "../../protocols/runtime.ts";
import type { ActorSnapshot, SupervisorSnapshot } from "../../protocols/supervision.ts";
import type { ActorSystem } from "../runtime/system.ts";
import type { Log } from "../cli/log.ts";

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
}

/** A running admin server. */
export interface AdminServer {
  /** e.g. `http://127.0.0.1:8790` */
  url: string;
  /** requests refused as malformed, unknown or forbidden. */
  readonly rejected: number;
  shutdown(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/** Serves the admin routes for a running system. */
export function startAdminServer(system: ActorSystem, options: AdminOptions): Promise<AdminServer> {
  let rejected = 0;
  const reply = (status: number, body: unknown) => {
    if (status >= 400) rejected++;
    return Response.json(body, { status });
  };
  const handler = async (req: Request): Promise<Response> => {
    const { pathname } = new URL(req.url);
    const route = `${req.method} ${pathname}`;
    switch (route) {
      case "GET /":
        return reply(200, { routes: ["GET /health", "GET /tree", "POST /chaos"] });
      case "GET /health":
        return reply(200, health(system, options));
      case "GET /tree":
        return reply(200, system.snapshot());
      case "POST /chaos": {
        const [status, body] = await chaos(system, req, options);
        return reply(status, body);
      }
      default:
        return reply(404, { ok: false, error: `No route ${route}; routes: GET /health, GET /tree, POST /chaos` });
    }
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
            shutdown: () => server.shutdown(),
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
  return {
    status: stopping ? "stopping" : down.length || snap.leakedThreads ? "degraded" : "ok",
    version: options.version,
    commit: options.commit,
    uptimeMs: Date.now() - system.startedAt.getTime(),
    leakedThreads: snap.leakedThreads,
    down,
  };
}
