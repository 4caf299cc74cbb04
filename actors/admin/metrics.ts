/**
 * Prometheus metrics of a running nxflow, for `GET /metrics` on the admin endpoint, in the text exposition format
 * (built with `prom-client`). Every scrape reads the same sources as `GET /tree` and `GET /stats`, so the figures are
 * the actors' own, never a second bookkeeping:
 *
 * | metric | type | from |
 * |---|---|---|
 * | `nxflow_build_info{version,commit}` | gauge, 1 | build info |
 * | `nxflow_actor_up{role,actor}` | gauge 0/1 | the tree: the actor runs |
 * | `nxflow_actor_restarts_total{role,actor}` | counter | the tree |
 * | `nxflow_actor_exits_total{role,actor,kind}` | counter | supervision events: crash, hang, silentExit, ... |
 * | `nxflow_actor_messages_<counter>_total{role,actor}` | counter | the tree's per-actor message counters |
 * | `nxflow_supervisor_restarts_total{role,supervisor}` | counter | the tree |
 * | `nxflow_leaked_threads_total` | counter | hung threads that could not be reclaimed |
 * | `nxflow_process_resident_memory_bytes` | gauge | `Deno.memoryUsage()` |
 * | `nxflow_<folder>_<module>_<stat>[_total]{role,actor}` | counter or gauge | `GET /stats` of each actor |
 *
 * Stats become metrics generically: each numeric or boolean leaf of an actor's `stats` reply is named after the
 * actor's module (`actors/broker/producer.ts` → `nxflow_broker_producer_`) and the field in snake case (`bytesAcked`
 * → `bytes_acked`). A field is a **gauge** when its name says it is a level (queued, in flight, unconfirmed,
 * connected, running, paused, subscribed, a consumer's lag, a buffer size, a latency, or a `…Ms` time, converted to
 * `_seconds`); any other is a **counter** (`_total`). `role` is the role's subtree (`efu`, `writer`, ...), `actor` the rest of the path.
 *
 * @module
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { AllStatsReply } from "../../protocols/admin.ts";
import type {
  ActorSnapshot,
  ExitKind,
  SupervisorEvent,
  SupervisorSnapshot,
  TreeSnapshot,
} from "../../protocols/supervision.ts";

/** What a scrape reads. */
export interface MetricsSource {
  snapshot(): TreeSnapshot;
  stats(): Promise<AllStatsReply>;
}

/** The content type of the exposition (text format 0.0.4). */
export const METRICS_CONTENT_TYPE: string = new Registry().contentType;

/** Counts actor exits by path and kind from the supervision events (the tree only keeps the last exit). */
export class ExitCounter {
  readonly #counts = new Map<string, Map<ExitKind, number>>();

  /** Takes one supervision event (pass every event of the system's `onEvent`). */
  record(event: SupervisorEvent): void {
    if (event.type !== "exited" || !event.kind) return;
    const byKind = this.#counts.get(event.path) ?? new Map<ExitKind, number>();
    byKind.set(event.kind, (byKind.get(event.kind) ?? 0) + 1);
    this.#counts.set(event.path, byKind);
  }

  /** [path, kind, count] for every exit seen. */
  entries(): [string, ExitKind, number][] {
    return [...this.#counts].flatMap(([path, byKind]) =>
      [...byKind].map(([k, n]) => [path, k, n] as [string, ExitKind, number])
    );
  }
}

/** `role` and `actor` labels of a tree path: `root/efu/producer` → efu, producer; `root/demo` → demo, demo. */
export function pathLabels(path: string): { role: string; actor: string } {
  const parts = path.split("/").slice(1);
  return { role: parts[0] ?? "root", actor: parts.length > 1 ? parts.slice(1).join("/") : (parts[0] ?? "root") };
}

/** `bytesAcked` or `receive.packets` → `bytes_acked`, `receive_packets`. */
export function snake(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "")
    .toLowerCase();
}

/** `actors/broker/producer.ts` (any URL form) → `broker_producer`. */
export function moduleFamily(module: string): string {
  const parts = module.replace(/\.ts$/, "").split("/");
  return snake(parts.slice(-2).join("_"));
}

const GAUGE = /(queued|in_flight|unconfirmed|connected|running|paused|subscribed|latency|buffer|^lag$|_ms$|^ms$|^pvs$)/;

/** The metric a stats field becomes: its name suffix, kind and the factor applied to the value. */
export function statMetric(field: string): { name: string; kind: "counter" | "gauge"; scale: number } {
  const s = snake(field);
  if (/(^|_)ms$/.test(s)) return { name: s.replace(/(^|_)ms$/, "$1seconds"), kind: "gauge", scale: 1e-3 };
  return GAUGE.test(s) ? { name: s, kind: "gauge", scale: 1 } : { name: `${s}_total`, kind: "counter", scale: 1 };
}

function leaves(value: unknown, key: string, out: [string, number][]): [string, number][] {
  if (typeof value === "number" && Number.isFinite(value)) out.push([key, value]);
  else if (typeof value === "boolean") out.push([key, value ? 1 : 0]);
  else if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, key ? `${key}_${snake(k)}` : snake(k), out);
  }
  return out;
}

function actors(node: SupervisorSnapshot | ActorSnapshot, out: ActorSnapshot[], sups: SupervisorSnapshot[]) {
  if (node.kind === "actor") out.push(node);
  else {
    sups.push(node);
    node.children.forEach((c) => actors(c, out, sups));
  }
}

const MESSAGE_COUNTERS = {
  delivered: "messages and requests handed to the actor's worker",
  stashed: "messages kept while the actor was not running",
  stashOverflow: "messages dropped because the stash was full",
  undeliverable: "messages dropped because the actor was stopped for good",
  redelivered: "messages delivered again to a new instance after a crash",
  lostInCrash: "messages in flight at a crash that could not be delivered again",
  poisonDropped: "messages dropped after crashing the actor too often",
  failures: "abnormal exits: crash, silent exit, hang",
} as const;

/** Renders the metrics of `source` in the Prometheus text format. */
export async function renderMetrics(
  source: MetricsSource,
  exits: ExitCounter,
  build: { version: string; commit: string },
): Promise<string> {
  const registry = new Registry();
  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  gauge("nxflow_build_info", "nxflow's version and git commit (always 1)", ["version", "commit"]).set(build, 1);
  const snap = source.snapshot();
  const all: ActorSnapshot[] = [];
  const sups: SupervisorSnapshot[] = [];
  actors(snap.root, all, sups);
  const labels = ["role", "actor"];
  const up = gauge("nxflow_actor_up", "1 while the actor runs, else 0", labels);
  const restarts = counter("nxflow_actor_restarts_total", "restarts of the actor by its supervisor", labels);
  const messages = Object.entries(MESSAGE_COUNTERS).map(([key, help]) =>
    [key, counter(`nxflow_actor_messages_${snake(key)}_total`, help, labels)] as const
  );
  for (const a of all) {
    const l = pathLabels(a.path);
    up.set(l, a.state === "running" ? 1 : 0);
    restarts.inc(l, a.restarts);
    for (const [key, metric] of messages) metric.inc(l, a.counters[key as keyof typeof MESSAGE_COUNTERS]);
  }
  const exited = counter("nxflow_actor_exits_total", "actor exits by kind (crash, hang, silentExit, ...)", [
    ...labels,
    "kind",
  ]);
  for (const [path, kind, n] of exits.entries()) exited.inc({ ...pathLabels(path), kind }, n);
  const supRestarts = counter("nxflow_supervisor_restarts_total", "restarts of a supervisor's subtree", [
    "role",
    "supervisor",
  ]);
  for (const s of sups) {
    const l = pathLabels(s.path);
    supRestarts.inc({ role: l.role, supervisor: l.actor }, s.restarts);
  }
  counter("nxflow_leaked_threads_total", "hung worker threads that could not be reclaimed", []).inc(snap.leakedThreads);
  gauge("nxflow_process_resident_memory_bytes", "resident memory of the nxflow process", []).set(
    Deno.memoryUsage().rss,
  );
  addStats(registry, all, (await source.stats()).stats);
  return await registry.metrics();
}

function addStats(registry: Registry, all: ActorSnapshot[], stats: Record<string, unknown>): void {
  const made = new Map<string, Counter | Gauge>();
  for (const a of all) {
    if (!(a.path in stats)) continue;
    const family = `nxflow_${moduleFamily(a.module)}`;
    for (const [field, value] of leaves(stats[a.path], "", [])) {
      const m = statMetric(field);
      const name = `${family}_${m.name}`;
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) continue;
      let metric = made.get(name);
      if (!metric) {
        const help = `${field} in the stats of ${a.module.split("/").slice(-2).join("/")}`;
        const options = { name, help, labelNames: ["role", "actor"], registers: [registry] };
        metric = m.kind === "counter" ? new Counter(options) : new Gauge(options);
        made.set(name, metric);
      }
      const l = pathLabels(a.path);
      if (metric instanceof Counter) metric.inc(l, Math.max(0, value));
      else metric.set(l, value * m.scale);
    }
  }
}
