/**
 * The `kafka` section of the configuration file: how nxflow reaches the facility's Kafka cluster. Secrets are read
 * from files (so that Ansible can deploy them with their own permissions) and never logged.
 *
 * ```json
 * "kafka": {
 *   "brokers": ["kafka1.facility:9093", "kafka2.facility:9093"],
 *   "clientId": "nxflow-loki",
 *   "sasl": { "mechanism": "scram-sha-512", "username": "nxflow", "passwordFile": "/etc/nxflow/kafka.pass" },
 *   "tls": { "enabled": true, "caFile": "/etc/nxflow/ca.pem", "certFile": "", "keyFile": "" },
 *   "connectionTimeoutMs": 3000,
 *   "requestTimeoutMs": 30000
 * }
 * ```
 *
 * With no `brokers`, nxflow runs a local Apache Kafka (the embedded default, `local` names which) and says so.
 *
 * @module
 */
import type { ConnectionOptions, SaslOptions } from "../../protocols/broker.ts";
import { checkConnection, describeConnection } from "../broker/connection.ts";
import { ensureLocalKafka } from "../../scripts/kafka/embedded.ts";
import { mergeChecked } from "./merge_checked.ts";

/** The section as written in the file, defaults applied. */
export interface KafkaSection {
  brokers: string[];
  clientId: string;
  /** the local cluster used when `brokers` is empty. */
  local: string;
  sasl: { mechanism: string; username: string; passwordFile: string };
  tls: { enabled: boolean; caFile: string; certFile: string; keyFile: string };
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** The defaults: no brokers, so the embedded local Kafka. */
export const KAFKA_DEFAULTS: KafkaSection = {
  brokers: [],
  clientId: "nxflow",
  local: "local",
  sasl: { mechanism: "", username: "", passwordFile: "" },
  tls: { enabled: false, caFile: "", certFile: "", keyFile: "" },
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 30_000,
};

const MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"];

/**
 * Checks the section's shape and values (files are read later, by {@linkcode connectKafka}).
 *
 * @throws {TypeError} naming the bad field.
 */
export function checkKafkaSection(section: unknown, where = "config.kafka"): KafkaSection {
  const k = mergeChecked(KAFKA_DEFAULTS, section, where);
  for (const b of k.brokers) {
    if (typeof b !== "string" || !/^[^\s:]+:\d{1,5}$/.test(b)) {
      throw new TypeError(`Cannot use ${where}.brokers: each must be "host:port", got ${JSON.stringify(b)}`);
    }
  }
  if (k.sasl.mechanism && !MECHANISMS.includes(k.sasl.mechanism)) {
    throw new TypeError(`Cannot use ${where}.sasl.mechanism: one of ${MECHANISMS.join(", ")}, or "" for none`);
  }
  if (k.sasl.mechanism && (!k.sasl.username || !k.sasl.passwordFile)) {
    throw new TypeError(`Cannot use ${where}.sasl: username and passwordFile are required with a mechanism`);
  }
  return k;
}

async function readSecret(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new TypeError(`Cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Turns the section into connection options: reads the password and PEM files, or starts (or reuses) the local
 * Kafka when no brokers are configured.
 *
 * @param log receives one line per step, never a password.
 */
export async function connectKafka(k: KafkaSection, log: (line: string) => void): Promise<ConnectionOptions> {
  const brokers = k.brokers.length ? k.brokers : [await ensureLocalKafka(log, k.local)];
  const options: ConnectionOptions = {
    brokers,
    clientId: k.clientId,
    connectionTimeoutMs: k.connectionTimeoutMs,
    requestTimeoutMs: k.requestTimeoutMs,
  };
  if (k.sasl.mechanism) {
    const password = (await readSecret(k.sasl.passwordFile, "the Kafka password file")).trim();
    options.sasl = { mechanism: k.sasl.mechanism as SaslOptions["mechanism"], username: k.sasl.username, password };
  }
  if (k.tls.enabled) {
    const pem = (path: string, what: string) => path ? readSecret(path, what) : Promise.resolve(undefined);
    options.tls = {
      ca: await pem(k.tls.caFile, "the Kafka CA file"),
      cert: await pem(k.tls.certFile, "the Kafka client certificate"),
      key: await pem(k.tls.keyFile, "the Kafka client key"),
    };
  }
  checkConnection(options);
  if (k.brokers.length) log(`Kafka: ${describeConnection(options)}`);
  return options;
}
