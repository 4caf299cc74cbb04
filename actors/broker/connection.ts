/**
 * nxflow's {@linkcode ConnectionOptions} at the edge: checks them, describes them for logs (never a password), and
 * maps them to the options of the Kafka client library (`npm:@platformatic/kafka`).
 *
 * This folder is the only place that imports a Kafka client library; nothing of the library crosses its exports.
 *
 * @module
 */
import type { BaseOptions } from "@platformatic/kafka";
import type { ConnectionOptions } from "../../protocols/broker.ts";

/** Raised for connection options that cannot work; names the option and the bad value (never a password). */
export class ConnectionOptionsError extends TypeError {
  override name = "ConnectionOptionsError";
}

const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
const LIBRARY_MECHANISMS = { "plain": "PLAIN", "scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512" };
const ADDRESS = /^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/;

/** Connection options with every default filled in. */
export type CheckedConnection = Required<Omit<ConnectionOptions, "sasl" | "tls">> & {
  sasl?: ConnectionOptions["sasl"];
  tls?: ConnectionOptions["tls"];
};

/**
 * Checks connection options and fills in defaults.
 *
 * @throws {ConnectionOptionsError} no brokers, a malformed address, an unknown SASL mechanism, a missing user name.
 */
export function checkConnection(options: ConnectionOptions): CheckedConnection {
  if (!Array.isArray(options?.brokers) || options.brokers.length === 0) {
    throw new ConnectionOptionsError(
      `Cannot connect to Kafka: brokers must list host:port addresses, got ${JSON.stringify(options?.brokers)}`,
    );
  }
  for (const b of options.brokers) {
    if (typeof b !== "string" || !ADDRESS.test(b)) {
      throw new ConnectionOptionsError(`Cannot connect to Kafka: broker address ${JSON.stringify(b)} is not host:port`);
    }
  }
  const sasl = options.sasl;
  if (sasl) {
    if (!SASL_MECHANISMS.includes(sasl.mechanism)) {
      throw new ConnectionOptionsError(
        `Cannot use SASL mechanism ${JSON.stringify(sasl.mechanism)}: use ${SASL_MECHANISMS.join(", ")}`,
      );
    }
    if (!sasl.username || typeof sasl.password !== "string") {
      throw new ConnectionOptionsError(`Cannot use SASL ${sasl.mechanism}: username and password are required`);
    }
  }
  return {
    brokers: options.brokers,
    clientId: options.clientId ?? "nxflow",
    connectionTimeoutMs: positive(options.connectionTimeoutMs, 3000, "connectionTimeoutMs"),
    requestTimeoutMs: positive(options.requestTimeoutMs, 30_000, "requestTimeoutMs"),
    sasl,
    tls: options.tls,
  };
}

/** The options as text for logs and error messages: everything but the password. */
export function describeConnection(options: ConnectionOptions): string {
  const auth = options.sasl ? ` as ${options.sasl.username} (SASL ${options.sasl.mechanism})` : "";
  return `${options.brokers.join(",")}${options.tls ? " over TLS" : ""}${auth}`;
}

/**
 * The client library's options for these connection options.
 *
 * @param retries request retries inside the library before it gives up (the actors retry on their own above this).
 */
export function clientOptions(options: ConnectionOptions, retries = 2): BaseOptions {
  const c = checkConnection(options);
  return {
    clientId: c.clientId,
    bootstrapBrokers: c.brokers,
    connectTimeout: c.connectionTimeoutMs,
    requestTimeout: c.requestTimeoutMs,
    timeout: c.requestTimeoutMs,
    retries,
    retryDelay: 250,
    autocreateTopics: false,
    sasl: c.sasl
      ? { mechanism: LIBRARY_MECHANISMS[c.sasl.mechanism], username: c.sasl.username, password: c.sasl.password }
      : undefined,
    tls: c.tls === true ? {} : c.tls ? { ca: c.tls.ca, cert: c.tls.cert, key: c.tls.key } : undefined,
  } as BaseOptions;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0)) {
    throw new ConnectionOptionsError(
      `Cannot use ${what}: must be a positive number of ms, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
