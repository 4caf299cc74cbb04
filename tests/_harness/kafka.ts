/**
 * A real Apache Kafka for tests: installs it if needed (Maven Central, cached in ~/.cache/nxflow), starts a KRaft
 * cluster on free loopback ports in a temporary folder, tied to the test process (its JVMs die with it, however it
 * ends), and returns the bootstrap address and a stop function. Always stop it in a `finally`.
 *
 * @example
 * ```ts
 * const kafka = await startKafka();
 * try {
 *   // connect to kafka.connection ...
 * } finally {
 *   await kafka.stop();
 * }
 * ```
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { type ClientSecurity, LocalCluster } from "../../actors/common/local_kafka/cluster.ts";

/** What to start. */
export interface TestKafkaOptions {
  /** @default 1 */
  brokers?: number;
  /** SASL (SCRAM-SHA-256/512, PLAIN) on the client listener, optionally over TLS with a test CA. */
  sasl?: { tls?: boolean };
  /** JVM heap per broker, MiB. @default 1024 */
  heapMb?: number;
}

/** A running test cluster. */
export interface TestKafka {
  /** comma-separated client addresses. */
  bootstrap: string;
  /** connection options for nxflow's clients (with credentials and CA when secured). */
  connection: ConnectionOptions;
  /** the credentials and CA when secured. */
  security: ClientSecurity | null;
  /** node ids, 1-based. */
  nodes: number[];
  /** Kills one node's JVM (SIGKILL). */
  killNode(id: number): Promise<void>;
  /** Kills every JVM and removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a cluster for a test; see the module doc. */
export async function startKafka(options: TestKafkaOptions = {}): Promise<TestKafka> {
  const dir = await Deno.makeTempDir({ prefix: "nxflow-kafka-" });
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start({
      dir,
      brokers: options.brokers ?? 1,
      security: options.sasl ? { tls: options.sasl.tls } : null,
      heapMb: options.heapMb,
      tied: true,
    });
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  const s = cluster.state.security;
  const connection: ConnectionOptions = { brokers: cluster.bootstrap.split(","), clientId: "nxflow-test" };
  if (s) {
    connection.sasl = { mechanism: "scram-sha-512", username: s.username, password: s.password };
    if (s.caPem) connection.tls = { ca: await Deno.readTextFile(s.caPem) };
  }
  let stopped = false;
  return {
    bootstrap: cluster.bootstrap,
    connection,
    security: s,
    nodes: cluster.state.nodes.map((n) => n.id),
    killNode: (id) => cluster.killNode(id),
    async stop() {
      if (stopped) return;
      stopped = true;
      await cluster.stop({ graceful: false, remove: true });
    },
  };
}
