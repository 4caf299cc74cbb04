/**
 * The configuration files of one KRaft node (broker and controller in one JVM) of a loopback cluster:
 * `server.properties` and the log4j 2 file that sends its logs to `server.log` in its folder.
 *
 * Every node listens on 127.0.0.1 only, on three ports: `CLIENT` (what clients use; PLAINTEXT, SASL_PLAINTEXT or
 * SASL_SSL), `INTERNAL` (replication between brokers, PLAINTEXT) and `CONTROLLER` (the KRaft quorum).
 * Limits allow records of at least {@linkcode MAX_RECORD_BYTES}.
 *
 * @module
 */
import { join } from "node:path";

/** The largest record the local brokers accept (200 MiB; ESS event messages are many MB). */
export const MAX_RECORD_BYTES = 200 * 1024 * 1024;
/** The largest request or fetch response (records plus protocol overhead). */
export const MAX_REQUEST_BYTES = 256 * 1024 * 1024;

/** The ports of one node. */
export interface NodePorts {
  client: number;
  internal: number;
  controller: number;
}

/** One node of the cluster: its id, folder and ports. */
export interface NodePlan {
  id: number;
  dir: string;
  ports: NodePorts;
}

/** SASL (and optional TLS) on the CLIENT listener. */
export interface SecurityPlan {
  /** TLS on the client listener (SASL_SSL) or not (SASL_PLAINTEXT). */
  tls: boolean;
  username: string;
  password: string;
  /** PKCS12 key store of the brokers and the PKCS12 trust store holding the test CA; with `tls` only. */
  stores?: { keystore: string; truststore: string; password: string };
}

/** The SASL mechanisms the CLIENT listener offers when security is on. */
export const SASL_MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] as const;

/** The address a client uses to reach a node. */
export function clientAddress(node: NodePlan): string {
  return `127.0.0.1:${node.ports.client}`;
}

/** `server.properties` for `node` in a cluster of `nodes`. */
export function serverProperties(node: NodePlan, nodes: NodePlan[], security: SecurityPlan | null): string {
  const n = nodes.length;
  const clientProtocol = !security ? "PLAINTEXT" : security.tls ? "SASL_SSL" : "SASL_PLAINTEXT";
  const lines: Record<string, string | number> = {
    "process.roles": "broker,controller",
    "node.id": node.id,
    "controller.quorum.voters": nodes.map((x) => `${x.id}@127.0.0.1:${x.ports.controller}`).join(","),
    "listeners": [
      `CLIENT://127.0.0.1:${node.ports.client}`,
      `INTERNAL://127.0.0.1:${node.ports.internal}`,
      `CONTROLLER://127.0.0.1:${node.ports.controller}`,
    ].join(","),
    "advertised.listeners": `CLIENT://127.0.0.1:${node.ports.client},INTERNAL://127.0.0.1:${node.ports.internal}`,
    "listener.security.protocol.map": `CLIENT:${clientProtocol},INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "INTERNAL",
    "log.dirs": join(node.dir, "data"),
    "num.partitions": 1,
    "default.replication.factor": 1,
    "offsets.topic.replication.factor": Math.min(3, n),
    "offsets.topic.num.partitions": 5,
    "transaction.state.log.replication.factor": Math.min(3, n),
    "transaction.state.log.min.isr": Math.min(2, n),
    "transaction.state.log.num.partitions": 5,
    "group.initial.rebalance.delay.ms": 0,
    "num.network.threads": 2,
    "num.io.threads": 4,
    "message.max.bytes": MAX_RECORD_BYTES,
    "replica.fetch.max.bytes": MAX_RECORD_BYTES,
    "replica.fetch.response.max.bytes": MAX_REQUEST_BYTES,
    "fetch.max.bytes": MAX_REQUEST_BYTES,
    "socket.request.max.bytes": MAX_REQUEST_BYTES,
    "log.retention.hours": 24,
  };
  if (security) Object.assign(lines, securityLines(security));
  return Object.entries(lines).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

function securityLines(s: SecurityPlan): Record<string, string> {
  const scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
  const plain = `org.apache.kafka.common.security.plain.PlainLoginModule required user_${s.username}="${s.password}";`;
  const lines: Record<string, string> = {
    "sasl.enabled.mechanisms": SASL_MECHANISMS.join(","),
    "listener.name.client.sasl.enabled.mechanisms": SASL_MECHANISMS.join(","),
    "listener.name.client.scram-sha-256.sasl.jaas.config": scram,
    "listener.name.client.scram-sha-512.sasl.jaas.config": scram,
    "listener.name.client.plain.sasl.jaas.config": plain,
  };
  if (s.tls && s.stores) {
    Object.assign(lines, {
      "listener.name.client.ssl.keystore.type": "PKCS12",
      "listener.name.client.ssl.keystore.location": s.stores.keystore,
      "listener.name.client.ssl.keystore.password": s.stores.password,
      "listener.name.client.ssl.key.password": s.stores.password,
      "listener.name.client.ssl.truststore.type": "PKCS12",
      "listener.name.client.ssl.truststore.location": s.stores.truststore,
      "listener.name.client.ssl.truststore.password": s.stores.password,
    });
  }
  return lines;
}

/** The `--add-scram` arguments of the storage format tool: the user's credentials for both SCRAM mechanisms. */
export function scramFormatArgs(s: SecurityPlan): string[] {
  return ["SCRAM-SHA-256", "SCRAM-SHA-512"].flatMap((m) => [
    "--add-scram",
    `${m}=[name=${s.username},password=${s.password}]`,
  ]);
}

/** log4j 2 configuration: INFO and above to `server.log` in the node's folder, rolled at 50 MB. */
export function log4jProperties(node: NodePlan): string {
  const file = join(node.dir, "server.log");
  return [
    "rootLogger.level=INFO",
    "rootLogger.appenderRef.file.ref=FILE",
    "appender.file.type=RollingFile",
    "appender.file.name=FILE",
    `appender.file.fileName=${file}`,
    `appender.file.filePattern=${file}.%i`,
    "appender.file.layout.type=PatternLayout",
    "appender.file.layout.pattern=[%d] %p %m (%c)%n",
    "appender.file.policies.type=Policies",
    "appender.file.policies.size.type=SizeBasedTriggeringPolicy",
    "appender.file.policies.size.size=50MB",
    "appender.file.strategy.type=DefaultRolloverStrategy",
    "appender.file.strategy.max=2",
    "logger.state.name=state.change.logger",
    "logger.state.level=WARN",
    "",
  ].join("\n");
}
