/**
 * A real pvAccess server for the forwarder's tests and benchmark: `tests/_fixtures/pva/p4p_server.py` (p4p, i.e.
 * EPICS's pvxs server), installed into the shared venv on first use. It listens on 127.0.0.1 only, on free ports
 * (TCP server, UDP search), and sends beacons to 127.0.0.1 only: nothing reaches other hosts. Always stop it in a
 * `finally`.
 *
 * @example
 * ```ts
 * const server = await startP4p();
 * try {
 *   await server.post({ name: "SCALAR_d", value: 3.5 }); // PVA:SCALAR_d
 * } finally {
 *   await server.stop();
 * }
 * ```
 *
 * @module
 */
import { ensureVenv } from "../../scripts/python_venv.ts";
import { freePort } from "./ioc.ts";
import { startLineServer } from "./line_server.ts";

/** The pinned p4p release (brings pvxslibs and epicscorelibs). */
export const P4P_PACKAGES = ["p4p==4.3.0"];

const SCRIPT = new URL("../_fixtures/pva/p4p_server.py", import.meta.url).pathname;

/** What to serve. */
export interface P4pOptions {
  /** PV name prefix. @default "PVA:" */
  prefix?: string;
  /** also serve N double NTScalars `<prefix>BENCH0..N-1`. @default 0 */
  scalars?: number;
  /** ports; free ones when absent (give the old ones to restart a server in place). */
  tcpPort?: number;
  udpPort?: number;
}

/** One `post` command of the fixture (see its doc). */
export interface Post {
  name: string;
  value: unknown;
  seconds?: number;
  nanoseconds?: number;
  severity?: number;
  status?: number;
  message?: string;
}

/** A running server. */
export interface TestP4p {
  readonly prefix: string;
  readonly tcpPort: number;
  readonly udpPort: number;
  /** the address list that finds this server and nothing else. */
  readonly addrList: string;
  /** Posts a value (name without prefix). */
  post(post: Post): Promise<void>;
  /** Sends a raw JSON command and returns the answer (`ok ...`). */
  command(c: Record<string, unknown>): Promise<string>;
  /** Stops the server. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a p4p server and waits until it serves. */
export async function startP4p(options: P4pOptions = {}): Promise<TestP4p> {
  const python = await ensureVenv(P4P_PACKAGES);
  const prefix = options.prefix ?? "PVA:";
  const tcpPort = options.tcpPort ?? freePort();
  const udpPort = options.udpPort ?? freePort();
  const args = [SCRIPT, String(tcpPort), String(udpPort), prefix, String(options.scalars ?? 0)];
  const env = { PYTHONUNBUFFERED: "1", EPICS_PVA_AUTO_ADDR_LIST: "NO", EPICS_PVA_ADDR_LIST: "127.0.0.1" };
  const server = await startLineServer(python, args, env, `p4p ${prefix}`);
  const command = (c: Record<string, unknown>) => server.command(JSON.stringify(c));
  const stop = () => server.stop();
  return {
    prefix,
    tcpPort,
    udpPort,
    addrList: `127.0.0.1:${udpPort}`,
    post: async (p) => void await command({ op: "post", ...p }),
    command,
    stop,
  };
}
