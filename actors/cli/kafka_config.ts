/**
 * How nxflow reaches the facility's Kafka cluster, in one place for every command: the `kafka` section of the
 * configuration file (`nxflow start`, `nxflow writer`) and the Kafka flags that every command talking to Kafka takes
 * ({@linkcode KAFKA_FLAGS}, parsed by {@linkcode kafkaFromFlags}, listed by {@linkcode kafkaHelp}). Both give a
 * checked {@linkcode KafkaSection}; {@linkcode connectKafka} turns it into the `ConnectionOptions` of
 * `protocols/broker.ts`. Secrets are read from files (so that Ansible can deploy them with their own permissions) and
 * never logged.
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
import { ensureLocalKafka } from "../common/local_kafka/embedded.ts";
import { UsageError } from "./command.ts";
import { mergeChecked } from "../common/merge_checked.ts";

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
const ADDRESS = /^[^\s:/]+:\d{1,5}$/;

/** How a field of the section is named in a message: its place in the file, or its flag (and its place). */
type Label = (field: string) => string;

/** The flag of each field, for messages about the command line (which may also carry the file's values). */
const FLAG_OF: Record<string, string> = {
  brokers: "--brokers",
  clientId: "--client-id",
  "sasl.mechanism": "--sasl",
  "sasl.username": "--sasl-username",
  "sasl.passwordFile": "--sasl-password-file",
  "tls.enabled": "--tls",
  "tls.caFile": "--tls-ca-file",
  "tls.certFile": "--tls-cert-file",
  "tls.keyFile": "--tls-key-file",
};
const flagLabel: Label = (field) => FLAG_OF[field] ? `${FLAG_OF[field]} (kafka.${field})` : `kafka.${field}`;

/**
 * Checks the section's shape and values (files are read later, by {@linkcode connectKafka}); the SASL mechanism is
 * taken in any case (ESS's tools write `SCRAM-SHA-512`) and returned in lower case.
 *
 * @param where the section's place in the file, for messages
 * @throws {TypeError} naming the bad field.
 */
export function checkKafkaSection(section: unknown, where = "config.kafka", label?: Label): KafkaSection {
  const name: Label = label ?? ((field) => `${where}.${field}`);
  const k = mergeChecked(KAFKA_DEFAULTS, section, where);
  for (const b of k.brokers) {
    if (typeof b !== "string" || !ADDRESS.test(b)) {
      throw new TypeError(`Cannot use ${name("brokers")}: each must be "host:port", got ${JSON.stringify(b)}`);
    }
  }
  if (!k.clientId) throw new TypeError(`Cannot use ${name("clientId")}: must not be empty`);
  for (const key of ["connectionTimeoutMs", "requestTimeoutMs"] as const) {
    if (!(k[key] > 0)) throw new RangeError(`Cannot use ${where}.${key}: must be above 0, got ${k[key]}`);
  }
  const s = k.sasl = { ...k.sasl, mechanism: k.sasl.mechanism.toLowerCase() };
  if (s.mechanism && !MECHANISMS.includes(s.mechanism)) {
    throw new TypeError(`Cannot use ${name("sasl.mechanism")}: one of ${MECHANISMS.join(", ")}, not "${s.mechanism}"`);
  }
  for (const field of ["username", "passwordFile"] as const) {
    if (s.mechanism && !s[field]) {
      throw new TypeError(`Cannot use SASL ${s.mechanism}: ${name(`sasl.${field}`)} is required`);
    }
    if (!s.mechanism && s[field]) {
      throw new TypeError(`Cannot use ${name(`sasl.${field}`)}: it needs a SASL mechanism, ${name("sasl.mechanism")}`);
    }
  }
  const t = k.tls;
  for (const field of ["caFile", "certFile", "keyFile"] as const) {
    if (t[field] && !t.enabled) {
      throw new TypeError(`Cannot use ${name(`tls.${field}`)}: TLS is off (${name("tls.enabled")})`);
    }
  }
  if (Boolean(t.certFile) !== Boolean(t.keyFile)) {
    throw new TypeError(`Cannot use ${name("tls.certFile")} and ${name("tls.keyFile")}: give both or neither`);
  }
  return k;
}

/** The Kafka flags of every command that talks to Kafka, a `parseArgs` option table. */
export const KAFKA_FLAGS = {
  brokers: { type: "string" },
  "client-id": { type: "string" },
  sasl: { type: "string" },
  "sasl-username": { type: "string" },
  "sasl-password-file": { type: "string" },
  tls: { type: "boolean" },
  "tls-ca-file": { type: "string" },
  "tls-cert-file": { type: "string" },
  "tls-key-file": { type: "string" },
} as const;

/** The defaults with a command's own client id (`nxflow-job`, `nxflow-inspect`, ...). */
export function kafkaDefaults(clientId: string): KafkaSection {
  return { ...structuredClone(KAFKA_DEFAULTS), clientId };
}

/**
 * The Kafka flags given to a command, over `base` (the configuration file's section, or the command's defaults).
 * `aliases` are a command's older names for `--brokers` kept for compatibility (ESS forwarder's `--output-broker`);
 * they take the same `host:port,...` list. Any `--tls-*-file` turns TLS on.
 *
 * @param values what `parseArgs` gave for an option table holding {@linkcode KAFKA_FLAGS} (and the aliases)
 * @throws {UsageError} naming the flag, for a bad address, an unknown SASL mechanism, SASL without credentials, ...
 */
export function kafkaFromFlags(
  values: Record<string, unknown>,
  base: KafkaSection = KAFKA_DEFAULTS,
  aliases: readonly string[] = [],
): KafkaSection {
  const text = (flag: string) => typeof values[flag] === "string" ? values[flag] as string : undefined;
  const k = structuredClone(base);
  const given = ["brokers", ...aliases].filter((flag) => text(flag) !== undefined);
  if (given.length > 1) throw new UsageError(`give ${given.map((f) => `--${f}`).join(" or ")}, not both`);
  if (given.length === 1) {
    const flag = given[0];
    k.brokers = text(flag)!.split(",").map((b) => b.trim()).filter(Boolean);
    if (k.brokers.length === 0) throw new UsageError(`--${flag} takes host:port,...`);
    const bad = k.brokers.find((b) => !ADDRESS.test(b));
    if (bad !== undefined) throw new UsageError(`--${flag}: each must be "host:port", got "${bad}"`);
  }
  k.clientId = text("client-id") ?? k.clientId;
  k.sasl.mechanism = text("sasl") ?? k.sasl.mechanism;
  k.sasl.username = text("sasl-username") ?? k.sasl.username;
  k.sasl.passwordFile = text("sasl-password-file") ?? k.sasl.passwordFile;
  k.tls.caFile = text("tls-ca-file") ?? k.tls.caFile;
  k.tls.certFile = text("tls-cert-file") ?? k.tls.certFile;
  k.tls.keyFile = text("tls-key-file") ?? k.tls.keyFile;
  const tlsFile = ["tls-ca-file", "tls-cert-file", "tls-key-file"].some((flag) => text(flag) !== undefined);
  if (values.tls === true || tlsFile) k.tls.enabled = true;
  try {
    return checkKafkaSection(k, "kafka", flagLabel);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * The help block of the Kafka flags, the same in every command's `--help`.
 *
 * @param clientId the command's default client id
 * @param extra lines about the command's own names for `--brokers`, or how the flags meet a configuration file
 */
export function kafkaHelp(clientId: string, extra: readonly string[] = []): string {
  return [
    'Kafka options (the same for every nxflow command that talks to Kafka; see README, "Kafka"):',
    "  --brokers HOST:PORT,...    bootstrap servers; default: nxflow's local Kafka, started if it is not running",
    "                             (Java 17 needed) and left running",
    ...extra.map((line) => `  ${line}`),
    `  --client-id ID             Kafka client id (default ${clientId})`,
    "  --sasl MECHANISM           plain, scram-sha-256 or scram-sha-512 (SASL_PLAINTEXT; SASL_SSL with --tls),",
    "  --sasl-username NAME       with the user name and",
    "  --sasl-password-file FILE  the file holding the password (read at start-up, never logged)",
    "  --tls                      TLS to the brokers, trusting the system's CAs",
    "  --tls-ca-file FILE         PEM CA certificates to trust instead (implies --tls)",
    "  --tls-cert-file FILE       PEM client certificate and key, for brokers that check clients (imply --tls)",
    "  --tls-key-file FILE",
  ].join("\n");
}

/** A secret or certificate file that cannot be read: the command could not start (exit code 1; inspect: 2). */
export class KafkaFileError extends Error {
  override name = "KafkaFileError";
}

async function readSecret(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new KafkaFileError(`Cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Turns the section into connection options: reads the password and PEM files, or starts (or reuses) the local
 * Kafka when no brokers are configured.
 *
 * @param log receives one line per step, never a password.
 * @throws {KafkaFileError} when a password or PEM file cannot be read.
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
    const [ca, cert, key] = await Promise.all([
      pem(k.tls.caFile, "the Kafka CA file"),
      pem(k.tls.certFile, "the Kafka client certificate"),
      pem(k.tls.keyFile, "the Kafka client key"),
    ]);
    options.tls = ca || cert ? { ca, cert, key } : true;
  }
  checkConnection(options);
  if (k.brokers.length) log(`Kafka: ${describeConnection(options)}`);
  return options;
}
