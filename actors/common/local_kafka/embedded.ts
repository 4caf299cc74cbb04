/**
 * The embedded default broker of `nxflow start`: when the configuration names no Kafka, nxflow uses a local cluster
 * (by default "local", the one `deno task kafka start` runs), starting it first if it is not running, and says so.
 *
 * @module
 */
import { join } from "node:path";
import { LocalCluster } from "./cluster.ts";
import { cacheRoot } from "./install.ts";
import { portOpen } from "./ports.ts";

/** The default client port of the embedded broker (Kafka's usual one); a free port is used when it is taken. */
export const EMBEDDED_PORT = 9092;

/**
 * Returns the bootstrap servers of the named local cluster, starting it (detached, so it outlives this process and
 * is reused next time) when it is not running. `log` receives what happens, e.g. for the console.
 *
 * @throws {KafkaStartError} or {KafkaInstallError} when it cannot be installed or started.
 */
export async function ensureLocalKafka(log: (line: string) => void, name = "local"): Promise<string> {
  const dir = join(cacheRoot(), "run", name);
  const running = await LocalCluster.open(dir);
  if (running && running.status().every((n) => n.alive)) {
    log(`No Kafka configured: using the local broker at ${running.bootstrap} (deno task kafka status --name ${name})`);
    return running.bootstrap;
  }
  await running?.stop({ graceful: false });
  log(`No Kafka configured: starting the local broker (stop it with deno task kafka stop --name ${name})`);
  const cluster = await LocalCluster.start({
    dir,
    tied: false,
    firstClientPort: (await portOpen(EMBEDDED_PORT)) ? undefined : EMBEDDED_PORT,
    log,
  });
  log(`Local Kafka ${cluster.state.version} running at ${cluster.bootstrap}`);
  return cluster.bootstrap;
}
