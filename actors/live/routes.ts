/**
 * The live view's HTTP routes on the admin endpoint. The admin server checks who may call them (see
 * `../admin/auth.ts`): the pages and scripts are open, the data is open to loopback clients (and to others with the
 * token), the controls (POST) need the token when one is set.
 *
 * | route | reply |
 * |---|---|
 * | `GET /live` | the page (`static/index.html`), its script and style, and uPlot (`/live/uplot.js`, `/live/uplot.css`) |
 * | `GET /live/state` | `LiveState` (protocols/live.ts) as JSON |
 * | `GET /live/events` | server-sent events: a `LiveState` each update period |
 * | `GET /live/histogram?id=ID` | the newest counts of a histogram: little-endian float64, C order; headers `x-timestamp-ns`, `x-shape` |
 * | `POST /live/run/start` | `{"title": T, "durationS": S}` (0: until stopped) → `ControlReply` |
 * | `POST /live/run/stop` | stops every run being written → `ControlReply` |
 * | `POST /live/histograms/reset` | the histogrammer's `reset_counts` → `ControlReply` |
 *
 * @module
 */
import type { ControlReply } from "../../protocols/live.ts";
import type { AdminContext, AdminRoutes } from "../admin/server.ts";
import type { Log } from "../common/log.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { ASSETS } from "./assets.ts";
import type { LiveSettings } from "./role.ts";
import { LiveView } from "./view.ts";

const MAX_BODY = 16 * 1024;
const CONTROL_TIMEOUT_MS = 15_000;

const json = (status: number, body: unknown) => Response.json(body, { status });

/** The live view's routes; its model starts polling at once. */
export function liveRoutes(
  system: ActorSystem,
  settings: LiveSettings,
  structure: string,
  log: Log,
  admin: AdminContext,
): AdminRoutes {
  const view = new LiveView(system, settings, structure, admin.health, admin.tokenRequired, log);
  const encoder = new TextEncoder();
  /** the open event streams' ends, closed with the server (its shutdown waits for every response to end). */
  const streams = new Set<() => void>();

  const events = (req: Request): Response => {
    let stop = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const push = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            stop();
          }
        };
        const unlisten = view.listen((s) => push(`data: ${JSON.stringify(s)}\n\n`));
        stop = () => {
          unlisten();
          streams.delete(stop);
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        streams.add(stop);
        push(`retry: 1000\n\n`);
        view.state().then((s) => push(`data: ${JSON.stringify(s)}\n\n`), () => {});
        req.signal.addEventListener("abort", () => stop());
      },
      cancel: () => stop(),
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" },
    });
  };

  const histogram = (url: URL): Response => {
    const h = view.histogram(url.searchParams.get("id") ?? "");
    if (!h) return json(404, { ok: false, error: `no histogram ${url.searchParams.get("id")} yet` });
    return new Response(h.counts.buffer as ArrayBuffer, {
      headers: {
        "content-type": "application/octet-stream",
        "cache-control": "no-store",
        "x-timestamp-ns": h.timestampNs,
        "x-shape": h.shape.join(","),
      },
    });
  };

  const control = async (name: string, run: () => Promise<ControlReply>): Promise<Response> => {
    try {
      const reply = await run();
      log(reply.ok ? "info" : "warn", "live", `${name} from the live view: ${JSON.stringify(reply)}`);
      return json(reply.ok ? 200 : 409, reply);
    } catch (error) {
      return json(503, { ok: false, error: `the live view's tap cannot ${name}: ${(error as Error).message}` });
    }
  };

  const startRun = async (req: Request): Promise<Response> => {
    const text = await req.text();
    if (text.length > MAX_BODY) return json(413, { ok: false, error: `body larger than ${MAX_BODY} bytes` });
    let body: { title?: unknown; durationS?: unknown };
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return json(400, { ok: false, error: 'body must be JSON: {"title": "...", "durationS": 10}' });
    }
    const title = body?.title ?? "";
    const durationS = body?.durationS ?? 0;
    if (typeof title !== "string" || typeof durationS !== "number" || !(durationS >= 0)) {
      return json(400, {
        ok: false,
        error: '"title" must be a string and "durationS" a number ≥ 0 (0: until stopped)',
      });
    }
    return control(
      "start a run",
      () => view.tap.request("startRun", { title, durationS }, { timeoutMs: CONTROL_TIMEOUT_MS }),
    );
  };

  return {
    routes: [
      "GET /live",
      "GET /live/state",
      "GET /live/events",
      "GET /live/histogram?id=<id>",
      "POST /live/run/start",
      "POST /live/run/stop",
      "POST /live/histograms/reset",
    ],
    isPublic: (pathname) => pathname === "/live" || pathname === "/live/" || pathname.slice(6) in ASSETS,
    async handle(req, url) {
      const route = `${req.method} ${url.pathname}`;
      switch (route) {
        case "GET /live":
        case "GET /live/":
          return new Response(ASSETS["index.html"].body, { headers: { "content-type": ASSETS["index.html"].type } });
        case "GET /live/state":
          return json(200, await view.state());
        case "GET /live/events":
          return events(req);
        case "GET /live/histogram":
          return histogram(url);
        case "POST /live/run/start":
          return await startRun(req);
        case "POST /live/run/stop":
          return await control(
            "stop the runs",
            () => view.tap.request("stopRun", null, { timeoutMs: CONTROL_TIMEOUT_MS }),
          );
        case "POST /live/histograms/reset":
          return await control(
            "reset the histograms",
            () => view.tap.request("resetHistograms", null, { timeoutMs: CONTROL_TIMEOUT_MS }),
          );
      }
      const asset = req.method === "GET" && url.pathname.startsWith("/live/")
        ? ASSETS[url.pathname.slice(6)]
        : undefined;
      if (!asset) return null;
      return new Response(asset.body, { headers: { "content-type": asset.type, "cache-control": "no-cache" } });
    },
    close() {
      for (const stop of [...streams]) stop();
      view.close();
    },
  };
}
