/**
 * The EFU's control, on the main thread: gathers the counters of the pipeline actors, serves the reference EFU's
 * text command API over TCP (`VERSION_GET`, `DETECTOR_INFO_GET`, `STAT_GET_COUNT`, `STAT_GET i`, `STAT_GET_NAME name`,
 * `CMD_GET_COUNT`, `CMD_GET i`, `EXIT`; `Error: <BADCMD>` / `Error: <BADARGS>`), publishes an x5f2 status with
 * every counter through the serialiser, and optionally sends the counters to Graphite/Carbon once a second
 * (`../common/graphite.ts`).
 *
 * Counter names are `efu.<instrument>.<region>.<name>`, e.g. `efu.bifrost.0.receive.packets`. `EXIT` calls the
 * `onExit` the role gives, which stops this EFU only (`role.ts`).
 *
 * @module
 */
import type { CounterSnapshot, SerialiserProtocol } from "../../protocols/efu.ts";
import { x5f2 } from "../../schemas/x5f2/codec.ts";
import type { Log } from "../common/log.ts";
import { startGraphite } from "../common/graphite.ts";
import { VERSION } from "../common/version.ts";
import type { ActorSystem } from "../runtime/system.ts";
import type { EfuConfig } from "./role.ts";

/** The commands the API knows, in `CMD_GET` order. */
export const COMMANDS = [
  "VERSION_GET",
  "DETECTOR_INFO_GET",
  "STAT_GET_COUNT",
  "STAT_GET",
  "STAT_GET_NAME",
  "CMD_GET_COUNT",
  "CMD_GET",
  "EXIT",
] as const;

const ACTORS = ["reader", "formation", "serialiser"];

/** A running control. */
export interface EfuControl {
  /** the command API's address, when on. */
  commandPort: number | null;
  /** Every counter with its full name, in a stable order. */
  counters(): Promise<[string, number][]>;
  /** Answers one command line (without the newline). */
  answer(line: string): Promise<string>;
  /** Stops the command API, the status and Graphite. */
  stop(): void;
}

/**
 * Starts the control of a running EFU tree at `path` (its supervisor's path under the root, `efu` by default);
 * `onExit` is called on the EXIT command.
 */
export function startControl(
  system: ActorSystem,
  c: EfuConfig,
  log: Log,
  onExit: () => void,
  path = "efu",
): EfuControl {
  const prefix = `efu.${c.detectorConfig.instrument}.${c.region}.`;
  const names: string[] = [];
  const last = new Map<string, number>();

  async function counters(): Promise<[string, number][]> {
    const snapshots = await Promise.all(
      ACTORS.map((id) =>
        system.ref<
          { in: never; out: never; ports: never; requests: { stats: { request: null; reply: CounterSnapshot } } }
        >(
          `${path}/${id}`,
        ).request("stats", null, { timeoutMs: 2000 }).catch(() => ({} as CounterSnapshot))
      ),
    );
    for (const snap of snapshots) {
      for (const [name, value] of Object.entries(snap)) {
        const full = prefix + name;
        if (!last.has(full)) names.push(full);
        last.set(full, value);
      }
    }
    return names.map((n) => [n, last.get(n)!]);
  }

  async function answer(line: string): Promise<string> {
    const [cmd, ...args] = line.trim().split(/\s+/);
    const bad = "Error: <BADARGS>";
    switch (cmd) {
      case "VERSION_GET":
        return args.length ? bad : `VERSION_GET ${VERSION} nxflow-efu`;
      case "DETECTOR_INFO_GET":
        return args.length ? bad : `DETECTOR_INFO_GET ${c.detectorConfig.instrument}`;
      case "STAT_GET_COUNT":
        return args.length ? bad : `STAT_GET_COUNT ${(await counters()).length}`;
      case "STAT_GET": {
        const all = await counters();
        const i = Number(args[0]);
        if (args.length !== 1 || !Number.isInteger(i) || i < 1 || i > all.length) return bad;
        return `STAT_GET ${all[i - 1][0]} ${all[i - 1][1]}`;
      }
      case "STAT_GET_NAME": {
        const found = (await counters()).find(([n]) => n === args[0]);
        return args.length !== 1 || !found ? bad : `STAT_GET_NAME ${found[0]} ${found[1]}`;
      }
      case "CMD_GET_COUNT":
        return args.length ? bad : `CMD_GET_COUNT ${COMMANDS.length}`;
      case "CMD_GET": {
        const i = Number(args[0]);
        if (args.length !== 1 || !Number.isInteger(i) || i < 1 || i > COMMANDS.length) return bad;
        return `CMD_GET ${COMMANDS[i - 1]}`;
      }
      case "EXIT":
        if (args.length) return bad;
        setTimeout(onExit, 50);
        return "<OK>";
      default:
        return "Error: <BADCMD>";
    }
  }

  const listener = c.commandPort < 0 ? null : Deno.listen({ hostname: c.commandHost, port: c.commandPort });
  const conns = new Set<Deno.Conn>();
  if (listener) void serve(listener, conns, answer);
  const commandPort = listener ? (listener.addr as Deno.NetAddr).port : null;
  if (commandPort !== null) log("info", path, `command API on ${c.commandHost}:${commandPort}`);

  const status = setInterval(async () => {
    const all = await counters();
    const value = x5f2.encode({
      software_name: "nxflow-efu",
      software_version: VERSION,
      service_id: `efu-${c.detectorConfig.instrument}-${c.region}`,
      host_name: Deno.hostname(),
      process_id: Deno.pid,
      update_interval: c.statusIntervalMs,
      status_json: JSON.stringify({ detector: c.detectorConfig.instrument, counters: Object.fromEntries(all) }),
    });
    system.ref<SerialiserProtocol>(`${path}/serialiser`).send({ type: "status", value });
  }, c.statusIntervalMs);

  const graphite = c.graphite
    ? startGraphite({ address: c.graphite, prefix: "", metrics: counters, intervalMs: 1000, log, source: "efu" })
    : null;

  return {
    commandPort,
    counters,
    answer,
    stop() {
      clearInterval(status);
      graphite?.stop();
      listener?.close();
      for (const conn of conns) conn.close();
    },
  };
}

async function serve(listener: Deno.Listener, conns: Set<Deno.Conn>, answer: (l: string) => Promise<string>) {
  try {
    for await (const conn of listener) {
      conns.add(conn);
      void session(conn, answer).finally(() => conns.delete(conn));
    }
  } catch {
    // the listener was closed
  }
}

async function session(conn: Deno.Conn, answer: (l: string) => Promise<string>): Promise<void> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  try {
    for await (const chunk of conn.readable) {
      pending += decoder.decode(chunk, { stream: true });
      if (pending.length > 4096) pending = pending.slice(-4096);
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, "");
        pending = pending.slice(nl + 1);
        if (line.trim()) await conn.write(encoder.encode((await answer(line)) + "\n"));
      }
    }
  } catch {
    // the client went away
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}
