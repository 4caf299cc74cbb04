/**
 * A local Apache Kafka cluster in KRaft mode on 127.0.0.1: one node (the default) or several (`brokers: 3`), each a
 * JVM acting as broker and controller, with its own folder, ports and formatted storage. Optionally with SASL/SCRAM
 * (and PLAIN) on the client listener, over TLS with a test CA made on the fly.
 *
 * The cluster's folder holds `cluster.json` (addresses, process ids and, with SASL, the test credentials; mode 0600),
 * so that another command can find, check and stop it later.
 *
 * @module
 */
import { join } from "node:path";
import { classPath, installKafka, type KafkaInstall } from "./install.ts";
import { type JvmProcess, processAlive, runJavaTool, signalJvm, spawnJvm } from "./jvm.ts";
import { freePorts, portOpen } from "./ports.ts";
import {
  clientAddress,
  log4jProperties,
  type NodePlan,
  SASL_MECHANISMS,
  scramFormatArgs,
  type SecurityPlan,
  serverProperties,
} from "./properties.ts";
import { makeTestCa } from "./test_ca.ts";

/** What to start. */
export interface ClusterOptions {
  /** the cluster's folder; created, and wiped of earlier node data. */
  dir: string;
  /** number of nodes (each broker and controller). @default 1 */
  brokers?: number;
  /** SASL on the client listener (SCRAM-SHA-256/512 and PLAIN), optionally over TLS. */
  security?: { tls?: boolean; username?: string; password?: string } | null;
  /** kill the JVMs when this process ends (tests); `false` leaves them running (the CLI). @default true */
  tied?: boolean;
  /** fixed client port of the first node, the others following it; free ports when absent. */
  firstClientPort?: number;
  /** JVM heap per node, MiB. @default 1024 */
  heapMb?: number;
  /** @default 120000 */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/** How a client connects to a secured cluster. */
export interface ClientSecurity {
  tls: boolean;
  mechanisms: readonly string[];
  username: string;
  password: string;
  /** the test CA's certificate (PEM) to trust; with `tls` only. */
  caPem?: string;
}

/** One node as recorded in `cluster.json`. */
export interface NodeState extends NodePlan {
  pid: number;
  /** a string only this node's JVM has on its command line. */
  marker: string;
}

/** The contents of `cluster.json`. */
export interface ClusterState {
  version: string;
  dir: string;
  bootstrap: string;
  startedAt: string;
  nodes: NodeState[];
  security: ClientSecurity | null;
}

/** Raised when the cluster does not come up; the message carries the end of the failing node's log. */
export class KafkaStartError extends Error {
  override name = "KafkaStartError";
}

const STATE_FILE = "cluster.json";
const READY_LINE = "Kafka Server started";

/** A running local cluster. */
export class LocalCluster {
  #jvms = new Map<number, JvmProcess>();

  private constructor(readonly state: ClusterState) {}

  /** Installs Kafka if needed, formats storage and starts every node; resolves once all are ready. */
  static async start(options: ClusterOptions): Promise<LocalCluster> {
    const install = await installKafka({ log: options.log });
    const attempts = options.firstClientPort ? 1 : 3;
    for (let attempt = 1;; attempt++) {
      try {
        return await LocalCluster.#startOnce(install, options);
      } catch (error) {
        const portTaken = error instanceof KafkaStartError &&
          /BindException|Address already in use/.test(error.message);
        if (!portTaken || attempt >= attempts) throw error;
        options.log?.(`A port was taken meanwhile; starting again on other ports (attempt ${attempt + 1})`);
      }
    }
  }

  /** The cluster recorded in `dir`, or `null` when there is none. */
  static async open(dir: string): Promise<LocalCluster | null> {
    try {
      return new LocalCluster(JSON.parse(await Deno.readTextFile(join(dir, STATE_FILE))) as ClusterState);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  static async #startOnce(install: KafkaInstall, options: ClusterOptions): Promise<LocalCluster> {
    const n = options.brokers ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 9) throw new RangeError(`Cannot start ${n} brokers: use 1 to 9`);
    await Deno.mkdir(options.dir, { recursive: true });
    const ports = options.firstClientPort ? fixedPorts(options.firstClientPort, n) : freePorts(3 * n);
    const plans: NodePlan[] = [];
    for (let i = 0; i < n; i++) {
      const dir = join(options.dir, `node-${i + 1}`);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.mkdir(dir, { recursive: true });
      plans.push({
        id: i + 1,
        dir,
        ports: { client: ports[3 * i], internal: ports[3 * i + 1], controller: ports[3 * i + 2] },
      });
    }
    const security = options.security ? await securityPlan(options.dir, options.security) : null;
    const cp = classPath(install);
    const clusterId = randomClusterId();
    await Promise.all(plans.map(async (p) => {
      await Deno.writeTextFile(join(p.dir, "server.properties"), serverProperties(p, plans, security));
      await Deno.writeTextFile(join(p.dir, "log4j2.properties"), log4jProperties(p));
      const scram = security ? scramFormatArgs(security) : [];
      const args = ["format", "-t", clusterId, "-c", join(p.dir, "server.properties"), ...scram];
      await runJavaTool(cp, ["-Xmx256m"], "kafka.tools.StorageTool", args, install.java);
    }));
    const cluster = new LocalCluster({
      version: install.version,
      dir: options.dir,
      bootstrap: plans.map(clientAddress).join(","),
      startedAt: new Date().toISOString(),
      nodes: [],
      security: security && {
        tls: security.tls,
        mechanisms: SASL_MECHANISMS,
        username: security.username,
        password: security.password,
        caPem: security.tls ? join(options.dir, "ca", "ca.pem") : undefined,
      },
    });
    for (const p of plans) cluster.#spawn(p, cp, install.java, options);
    await Deno.writeTextFile(join(options.dir, STATE_FILE), JSON.stringify(cluster.state, null, 2), { mode: 0o600 });
    try {
      await cluster.#waitReady(options.readyTimeoutMs ?? 120_000);
    } catch (error) {
      await cluster.stop({ graceful: false });
      throw error;
    }
    return cluster;
  }

  /** Comma-separated client addresses of all nodes. */
  get bootstrap(): string {
    return this.state.bootstrap;
  }

  /** Each node's id, client address and whether its JVM runs. */
  status(): { id: number; address: string; pid: number; alive: boolean }[] {
    return this.state.nodes.map((n) => ({
      id: n.id,
      address: clientAddress(n),
      pid: n.pid,
      alive: processAlive(n.pid, n.marker),
    }));
  }

  /** Kills one node's JVM at once (SIGKILL), as a crash would. */
  async killNode(id: number): Promise<void> {
    const node = this.state.nodes.find((n) => n.id === id);
    if (!node) throw new RangeError(`Cannot kill node ${id}: the cluster has nodes ${this.#ids()}`);
    await signalJvm({ pid: node.pid, exited: this.#jvms.get(id)?.exited }, node.marker, "SIGKILL", 10_000);
    await this.#jvms.get(id)?.release();
  }

  /**
   * Stops every node: SIGTERM and up to 30 s for a controlled shutdown when `graceful`, then SIGKILL.
   * The folder stays unless `remove`.
   */
  async stop(options: { graceful?: boolean; remove?: boolean } = {}): Promise<void> {
    await Promise.all(this.state.nodes.map(async (node) => {
      const jvm = { pid: node.pid, exited: this.#jvms.get(node.id)?.exited };
      const gone = options.graceful && await signalJvm(jvm, node.marker, "SIGTERM", 30_000);
      if (!gone && !await signalJvm(jvm, node.marker, "SIGKILL", 10_000)) {
        throw new KafkaStartError(`Cannot stop Kafka node ${node.id} (pid ${node.pid}): it survived SIGKILL`);
      }
      await this.#jvms.get(node.id)?.release();
    }));
    if (options.remove) await Deno.remove(this.state.dir, { recursive: true }).catch(() => {});
    else await Deno.remove(join(this.state.dir, STATE_FILE)).catch(() => {});
  }

  #spawn(plan: NodePlan, cp: string, java: string, options: ClusterOptions): void {
    const props = join(plan.dir, "server.properties");
    const heap = options.heapMb ?? 1024;
    const args = ["-cp", cp, "-Xms256m", `-Xmx${heap}m`, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"]
      .concat(["-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true", `-Dkafka.logs.dir=${plan.dir}`])
      .concat([`-Dlog4j2.configurationFile=${join(plan.dir, "log4j2.properties")}`, "kafka.Kafka", props]);
    const jvm = spawnJvm(args, join(plan.dir, "console.log"), options.tied ?? true, java);
    this.#jvms.set(plan.id, jvm);
    this.state.nodes.push({ ...plan, pid: jvm.pid, marker: props });
  }

  async #waitReady(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const pending = new Set(this.state.nodes);
    while (pending.size > 0) {
      for (const node of pending) {
        if (!processAlive(node.pid, node.marker) && !(await aliveAfterAWhile(node))) {
          throw new KafkaStartError(`Kafka node ${node.id} exited during start-up:\n${await logTail(node)}`);
        }
        if ((await readText(join(node.dir, "server.log"))).includes(READY_LINE) && await portOpen(node.ports.client)) {
          pending.delete(node);
        }
      }
      if (pending.size === 0) return;
      if (performance.now() > deadline) {
        const node = [...pending][0];
        throw new KafkaStartError(`Kafka node ${node.id} not ready after ${timeoutMs} ms:\n${await logTail(node)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  #ids(): string {
    return this.state.nodes.map((n) => n.id).join(", ");
  }
}

async function securityPlan(
  dir: string,
  s: NonNullable<ClusterOptions["security"]>,
): Promise<SecurityPlan> {
  const plan: SecurityPlan = {
    tls: s.tls ?? false,
    username: s.username ?? "nxflow",
    password: s.password ?? crypto.randomUUID().replaceAll("-", ""),
  };
  if (!/^[A-Za-z0-9_.-]+$/.test(plan.username) || !/^[A-Za-z0-9_.-]+$/.test(plan.password)) {
    throw new RangeError(`Cannot use SASL user "${plan.username}": user and password may use A-Z a-z 0-9 _ . - only`);
  }
  if (plan.tls) {
    const caDir = join(dir, "ca");
    await Deno.mkdir(caDir, { recursive: true });
    const ca = await makeTestCa(caDir);
    plan.stores = { keystore: ca.keystore, truststore: ca.truststore, password: ca.password };
  }
  return plan;
}

function fixedPorts(first: number, n: number): number[] {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(first + i, first + 100 + i, first + 200 + i);
  return ports;
}

function randomClusterId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // the first character is then a letter: an id starting with "-" reads as an option to kafka-storage
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

async function logTail(node: NodePlan): Promise<string> {
  const log = (await readText(join(node.dir, "server.log"))).split("\n");
  const errors = log.filter((l) => / (ERROR|FATAL) /.test(l)).slice(-5);
  const console = (await readText(join(node.dir, "console.log"))).trim().split("\n").slice(-10);
  return [...errors, ...log.slice(-10), ...console].join("\n");
}

/**
 * A second look at a node that seemed gone: while the wrapper shell execs into the JVM, its command line can read as
 * empty for a moment, and a busy machine makes that moment long enough to be seen.
 */
async function aliveAfterAWhile(node: { pid: number; marker: string }): Promise<boolean> {
  await new Promise((r) => setTimeout(r, 300));
  return processAlive(node.pid, node.marker);
}
