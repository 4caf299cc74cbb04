/**
 * Graphite output, shared by the EFU and the forwarder: sends metrics to Carbon's plaintext listener over TCP, one
 * line per metric (`<prefix>.<name> <value> <unix seconds>\n`), at a fixed interval on the main thread.
 *
 * It never throws at the caller once started: when Carbon is down or goes away (it closes the connection) the round
 * is lost, one warning is logged for the whole outage, and the next round connects again; the first round that gets
 * through after an outage is logged too.
 *
 * @example
 * ```ts
 * const graphite = startGraphite({
 *   address: "localhost:2003",
 *   prefix: "nxflow.forwarder.main",
 *   metrics: () => Promise.resolve([["serialiser.forwarded", 12]]),
 *   intervalMs: 10_000,
 *   log,
 *   source: "forwarder",
 * });
 * // ... later
 * graphite.stop();
 * ```
 *
 * @module
 */
import type { Log } from "./log.ts";

/** One metric: its name below the prefix (dot-separated) and its value. */
export type Metric = [name: string, value: number];

/** Options of {@linkcode startGraphite}. */
export interface GraphiteOptions {
  /** Carbon's plaintext listener, `host:port` (usually port 2003). */
  address: string;
  /** put before every name with a dot; "" for none. */
  prefix: string;
  /** gathers the metrics of one round; a rejection loses the round like a Carbon outage. */
  metrics(): Promise<Metric[]>;
  /** time between rounds; the first round is one interval after the start. */
  intervalMs: number;
  log: Log;
  /** the log source of its warnings, e.g. `efu`. */
  source: string;
}

/** A running Graphite output. */
export interface Graphite {
  /** Stops sending and closes the connection. */
  stop(): void;
}

/**
 * Splits and checks a `host:port` address (`[::1]:2003` for IPv6).
 *
 * @param where the option or setting it comes from, for the error.
 * @throws {TypeError} when it is not a host, a colon and a port from 1 to 65535.
 */
export function graphiteAddress(address: string, where: string): { hostname: string; port: number } {
  const colon = address.lastIndexOf(":");
  const hostname = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(colon + 1));
  if (colon < 1 || !hostname || !/^\d+$/.test(address.slice(colon + 1)) || port < 1 || port > 65535) {
    throw new TypeError(`Cannot use ${where}: must be "host:port", got "${address}"`);
  }
  return { hostname, port };
}

/** Makes text one segment of a metric name: every character but letters, digits, `_` and `-` becomes `_`. */
export function metricSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_");
}

/**
 * The numbers in a stats reply as metrics named `<name>.<key>`: nested objects add their keys, booleans count as 0
 * or 1, and everything else (strings, lists, non-finite numbers) is left out.
 */
export function numericMetrics(stats: unknown, name: string): Metric[] {
  if (typeof stats === "number") return Number.isFinite(stats) ? [[name, stats]] : [];
  if (typeof stats === "boolean") return [[name, stats ? 1 : 0]];
  if (stats === null || typeof stats !== "object" || Array.isArray(stats)) return [];
  return Object.entries(stats).flatMap(([key, value]) => numericMetrics(value, `${name}.${metricSegment(key)}`));
}

/**
 * Starts sending `metrics()` to Carbon every `intervalMs`.
 *
 * @throws {TypeError} for an address that is not `host:port`.
 */
export function startGraphite(o: GraphiteOptions): Graphite {
  const target = graphiteAddress(o.address, "the Graphite address");
  const prefix = o.prefix ? `${o.prefix}.` : "";
  const encoder = new TextEncoder();
  let conn: Deno.TcpConn | null = null;
  let stopped = false;
  let outage = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const drop = (c: Deno.TcpConn) => {
    if (conn === c) conn = null;
    try {
      c.close();
    } catch {
      // already closed
    }
  };

  async function connect(): Promise<Deno.TcpConn> {
    const c = await Deno.connect(target);
    if (stopped) {
      drop(c);
      throw new Error("stopped");
    }
    void watch(c);
    return c;
  }

  /** Carbon never writes: the read ends when it closes the connection, and the next round connects again. */
  async function watch(c: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(256);
    try {
      while (await c.read(buffer) !== null) {
        // nothing to read from Carbon
      }
    } catch {
      // closed by us, or reset by Carbon
    }
    drop(c);
  }

  async function round(): Promise<void> {
    try {
      const metrics = await o.metrics();
      const now = Math.floor(Date.now() / 1000);
      const text = metrics.filter(([, v]) => Number.isFinite(v)).map(([n, v]) => `${prefix}${n} ${v} ${now}\n`);
      const bytes = encoder.encode(text.join(""));
      const c = conn ?? (conn = await connect());
      for (let sent = 0; sent < bytes.length;) sent += await c.write(bytes.subarray(sent));
      if (outage) o.log("info", o.source, `Graphite ${o.address}: sending again`);
      outage = false;
    } catch (error) {
      if (conn) drop(conn);
      if (!outage && !stopped) o.log("warn", o.source, `Graphite ${o.address}: ${(error as Error).message}; retrying`);
      outage = true;
    }
    if (!stopped) timer = setTimeout(round, o.intervalMs);
  }

  timer = setTimeout(round, o.intervalMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (conn) drop(conn);
    },
  };
}
