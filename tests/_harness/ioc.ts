/**
 * A real EPICS IOC for the forwarder's tests and benchmark: `tests/_fixtures/ioc/simple_ioc.py` (pythonSoftIOC,
 * i.e. EPICS base records served by the real rsrv Channel Access server), installed into the shared venv on first
 * use. It serves on 127.0.0.1 only, on free ports picked per IOC (CA server, repeater/beacon and PVA ports), so it
 * neither reaches other addresses nor clashes with other tests. Always stop it in a `finally`.
 *
 * @example
 * ```ts
 * const ioc = await startIoc();
 * try {
 *   await ioc.set("DOUBLE", 3.5); // SIMPLE:DOUBLE
 * } finally {
 *   await ioc.stop();
 * }
 * ```
 *
 * @module
 */
import type { CaEnvironment } from "../../actors/forwarder/ca/client.ts";
import { ensureVenv } from "../../scripts/python_venv.ts";
import { startLineServer } from "./line_server.ts";

/** The pinned IOC packages (pythonSoftIOC brings EPICS base as the epicscorelibs wheel). */
export const IOC_PACKAGES = ["softioc==4.7.2"];

const SCRIPT = new URL("../_fixtures/ioc/simple_ioc.py", import.meta.url).pathname;

/** What to serve. */
export interface IocOptions {
  /** record name prefix. @default "SIMPLE:" */
  prefix?: string;
  /** also serve N scalar doubles `<prefix>BENCH0..N-1` for the benchmark. @default 0 */
  scalars?: number;
  /** only `<prefix>DOUBLE`. */
  minimal?: boolean;
  /** CA server port; a free one when absent (give the old one to restart an IOC in place). */
  port?: number;
}

/** A running IOC. */
export interface TestIoc {
  readonly prefix: string;
  /** the CA server port (TCP and UDP). */
  readonly port: number;
  /** the client settings that find this IOC and nothing else. */
  readonly client: CaEnvironment;
  /** where the IOC's pvAccess server (QSRV, pvxs) answers searches: `127.0.0.1:<udp port>`. */
  readonly pvaAddrList: string;
  /** Sets a record (name without prefix) to a value, as a put on the IOC would. */
  set(record: string, value: number | string | number[]): Promise<void>;
  /** Sends a raw command of the fixture (`storm S`, `wave S HZ`) and returns its answer. */
  command(line: string): Promise<string>;
  /** Stops the IOC process. Safe to call twice. */
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 now (CA uses the same number for UDP; a clash there is unlikely). */
export function freePort(): number {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (tcp.addr as Deno.NetAddr).port;
  tcp.close();
  return port;
}

/** Starts an IOC and waits until it serves; see the module doc. */
export async function startIoc(options: IocOptions = {}): Promise<TestIoc> {
  const python = await ensureVenv(IOC_PACKAGES);
  const prefix = options.prefix ?? "SIMPLE:";
  const port = options.port ?? freePort();
  const pvaSearchPort = freePort();
  const args = [SCRIPT, "--prefix", prefix, "--scalars", String(options.scalars ?? 0)];
  if (options.minimal) args.push("--minimal");
  const env: Record<string, string> = {
    EPICS_CA_SERVER_PORT: String(port),
    EPICS_CA_REPEATER_PORT: String(freePort()),
    EPICS_CA_ADDR_LIST: "127.0.0.1",
    EPICS_CA_AUTO_ADDR_LIST: "NO",
    EPICS_CAS_INTF_ADDR_LIST: "127.0.0.1",
    EPICS_CAS_BEACON_ADDR_LIST: "127.0.0.1",
    EPICS_CAS_AUTO_BEACON_ADDR_LIST: "NO",
    EPICS_PVAS_INTF_ADDR_LIST: "127.0.0.1",
    EPICS_PVAS_SERVER_PORT: String(freePort()),
    EPICS_PVAS_BROADCAST_PORT: String(pvaSearchPort),
    EPICS_PVAS_BEACON_ADDR_LIST: "127.0.0.1",
    EPICS_PVAS_AUTO_BEACON_ADDR_LIST: "NO",
    PYTHONUNBUFFERED: "1",
  };
  const server = await startLineServer(python, args, env, `IOC ${prefix}`);
  const command = (line: string) => server.command(line);
  const stop = () => server.stop();
  return {
    prefix,
    port,
    client: { addrList: `127.0.0.1:${port}` },
    pvaAddrList: `127.0.0.1:${pvaSearchPort}`,
    set: async (record, value) => void await command(`set ${record} ${JSON.stringify(value)}`),
    command,
    stop,
  };
}
