/**
 * The whole default system (`deno task start`) as a subprocess for tests: the same roles and files as the built-in
 * default (`actors/common/system/defaults.ts`), moved to free ports and a temporary output folder, on the Kafka given
 * (a test cluster's bootstrap) or on an embedded local Kafka of the test's own name, stopped afterwards.
 *
 * @module
 */
import { join } from "node:path";
import { type SystemPorts, systemRoles } from "../../actors/common/system/defaults.ts";
import { cacheRoot } from "../../actors/common/local_kafka/install.ts";
import { type NxflowProcess, reap, spawnNxflow } from "./process.ts";

/** A free port number on loopback, free for both TCP and UDP (CA serves both on one port). */
export function freePort(): number {
  for (;;) {
    const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (tcp.addr as Deno.NetAddr).port;
    try {
      Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" }).close();
      return port;
    } catch {
      // taken for UDP: try another
    } finally {
      tcp.close();
    }
  }
}

/** A running system. */
export interface TestSystem {
  p: NxflowProcess;
  /** the admin endpoint's URL, once it is up. */
  admin: string;
  /** the writer's output folder. */
  out: string;
  ports: SystemPorts;
  /** Kills the process if it still runs, stops a local Kafka of its own, removes the folders. */
  done(): Promise<void>;
}

/**
 * Starts the default system; with no `brokers`, on a local Kafka named for this test. `roles` adds role sections
 * (e.g. the histogrammer and the live view) to the system's; `eventRate` sets the sim's detector events/s.
 */
export async function startSystem(
  opts: {
    brokers?: string;
    extra?: string[];
    adminTimeoutMs?: number;
    roles?: Record<string, Record<string, unknown>>;
    eventRate?: number;
  } = {},
): Promise<TestSystem> {
  const dir = await Deno.makeTempDir({ prefix: "nxflow-system-" });
  const out = join(dir, "out");
  await Deno.mkdir(out);
  const ports: SystemPorts = {
    caPort: freePort(),
    beaconPort: freePort(),
    detectorPort: freePort(),
    monitorPort: freePort(),
    detectorCommandPort: 0,
    monitorCommandPort: 0,
  };
  const local = opts.brokers ? null : `system-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const roles: Record<string, Record<string, unknown>> = { ...systemRoles(ports, out), ...opts.roles };
  if (opts.eventRate !== undefined) roles.sim = { ...roles.sim, eventRate: opts.eventRate };
  const config = { ...(local ? { kafka: { local } } : {}), roles };
  await Deno.writeTextFile(join(dir, "nxflow.json"), JSON.stringify(config));
  const args = ["start", "--config", join(dir, "nxflow.json"), "--admin-port", "0", ...(opts.extra ?? [])];
  const p = spawnNxflow(opts.brokers ? [...args, "--brokers", opts.brokers] : args);
  const done = async () => {
    await reap(p);
    if (local) {
      const kafka = new URL("../../actors/common/local_kafka/main.ts", import.meta.url).pathname;
      await new Deno.Command(Deno.execPath(), { args: ["run", "-A", kafka, "stop", "--name", local], stdout: "null" })
        .output();
      await Deno.remove(join(cacheRoot(), "run", local), { recursive: true }).catch(() => {});
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const line = await p.line(/admin endpoint on/, opts.adminTimeoutMs ?? 180_000);
    const admin = line.match(/admin endpoint on (http:\/\/[\d.:]+)/)![1];
    return { p, admin, out, ports, done };
  } catch (error) {
    await done();
    throw new Error(`${(error as Error).message}\n--- nxflow start:\n${p.lines.join("\n")}`);
  }
}
