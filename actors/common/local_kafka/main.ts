/**
 * `deno task kafka <install|start|stop|status>`: the local Apache Kafka for tests and demos.
 *
 * The cluster runs detached (it outlives the command) from `~/.cache/nxflow/run/<name>`; `stop` and `status` find it
 * there by name.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { LocalCluster } from "./cluster.ts";
import { cacheRoot, installKafka } from "./install.ts";

/** The usage text of the local Kafka commands. */
export const HELP = `Usage: deno task kafka <command> [options]   (in a release or the binary: nxflow kafka <command>)

Commands:
  install    fetch Apache Kafka's pinned jars from Maven Central into ~/.cache/nxflow, and a Java runtime when none
             is installed (once; quick afterwards)
  start      start a local KRaft cluster on 127.0.0.1 and print its bootstrap address
  stop       stop it (controlled shutdown, then kill)
  status     print each node's address and whether it runs (exit code 3 when not running)

Options:
  --name NAME      which local cluster (default "local"); its folder is ~/.cache/nxflow/run/NAME
  --brokers N      start: number of brokers, each also a KRaft controller (default 1; 3 for a real quorum)
  --port P         start: client port of the first broker, the next ones follow (default 9092; 0 = any free port)
  --sasl           start: SASL on the client listener (SCRAM-SHA-256, SCRAM-SHA-512, PLAIN); the user is "nxflow"
                   and the generated password is in the cluster folder's cluster.json (mode 0600)
  --tls            start: with --sasl, TLS too (SASL_SSL), with a test CA made on the fly (ca/ca.pem)
  --heap-mb N      start: JVM heap per broker (default 1024)
  --json           status: one JSON object instead of text
  -h, --help       this text

Examples:
  deno task kafka start
  deno task kafka start --brokers 3 --name trio --port 0
  deno task kafka status --name trio && deno task kafka stop --name trio`;

function clusterDir(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new RangeError(`Cannot use --name ${JSON.stringify(name)}: letters, digits, _ . - only`);
  }
  return join(cacheRoot(), "run", name);
}

function intOption(value: string | undefined, what: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`Cannot use ${what} ${value}: must be ${min} to ${max}`);
  }
  return n;
}

async function start(values: Record<string, string | boolean | undefined>): Promise<number> {
  const dir = clusterDir(String(values.name));
  const running = await LocalCluster.open(dir);
  if (running && running.status().every((n) => n.alive)) {
    console.log(`Kafka "${values.name}" is already running; bootstrap servers: ${running.bootstrap}`);
    return 0;
  }
  await running?.stop({ graceful: false });
  const brokers = intOption(values.brokers as string | undefined, "--brokers", 1, 1, 9);
  const port = intOption(values.port as string | undefined, "--port", 9092, 0, 65000);
  if (values.tls && !values.sasl) {
    throw new RangeError("Cannot use --tls without --sasl: TLS is offered with SASL only");
  }
  const cluster = await LocalCluster.start({
    dir,
    brokers,
    firstClientPort: port || undefined,
    security: values.sasl ? { tls: Boolean(values.tls) } : null,
    heapMb: intOption(values["heap-mb"] as string | undefined, "--heap-mb", 1024, 256, 65536),
    tied: false,
    log: (line) => console.log(line),
  });
  console.log(`Kafka ${cluster.state.version} "${values.name}" is running with ${brokers} broker(s) on 127.0.0.1`);
  console.log(`bootstrap servers: ${cluster.bootstrap}`);
  const s = cluster.state.security;
  if (s) {
    console.log(
      `SASL ${s.tls ? "over TLS" : "without TLS"}: user "${s.username}", mechanisms ${s.mechanisms.join(", ")}`,
    );
    console.log(`password: see ${join(dir, "cluster.json")}${s.caPem ? `; CA certificate: ${s.caPem}` : ""}`);
  }
  console.log(`logs: ${dir}/node-*/server.log; stop with: deno task kafka stop --name ${values.name}`);
  return 0;
}

async function stop(values: Record<string, string | boolean | undefined>): Promise<number> {
  const cluster = await LocalCluster.open(clusterDir(String(values.name)));
  if (!cluster) {
    console.log(`Kafka "${values.name}" is not running`);
    return 0;
  }
  await cluster.stop({ graceful: true });
  console.log(`Kafka "${values.name}" stopped`);
  return 0;
}

async function status(values: Record<string, string | boolean | undefined>): Promise<number> {
  const cluster = await LocalCluster.open(clusterDir(String(values.name)));
  const nodes = cluster?.status() ?? [];
  const up = nodes.length > 0 && nodes.every((n) => n.alive);
  if (values.json) {
    console.log(JSON.stringify({ name: values.name, running: up, bootstrap: cluster?.bootstrap ?? null, nodes }));
  } else if (!cluster) {
    console.log(`Kafka "${values.name}" is not running`);
  } else {
    console.log(
      `Kafka "${values.name}": ${up ? "running" : "not (fully) running"}; bootstrap servers: ${cluster.bootstrap}`,
    );
    for (const n of nodes) console.log(`  node ${n.id}  ${n.address}  pid ${n.pid}  ${n.alive ? "up" : "down"}`);
  }
  return up ? 0 : 3;
}

/** Runs one local Kafka command; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string", default: "local" },
      brokers: { type: "string" },
      port: { type: "string" },
      sasl: { type: "boolean" },
      tls: { type: "boolean" },
      "heap-mb": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case "install": {
      const install = await installKafka({ log: (line) => console.log(line) });
      console.log(`Apache Kafka ${install.version} is installed in ${install.home}`);
      return 0;
    }
    case "start":
      return await start(values);
    case "stop":
      return await stop(values);
    case "status":
      return await status(values);
    default:
      console.error(`kafka: unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`kafka: ${(error as Error).message}`);
    Deno.exit(error instanceof TypeError || error instanceof RangeError ? 2 : 1);
  }
}
