/**
 * Builds kafkajs clients from nxflow's {@linkcode ConnectionOptions}: checks the options at the edge, maps SASL and
 * TLS, and routes kafkajs's own log lines through a callback (never the console, never a password).
 *
 * This folder is the only place that imports kafkajs.
 *
 * @module
 */
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from "kafkajs";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import process from "node:process";

// kafkajs computes some timer delays from clocks that differ under Deno and passes negative values, which Node's
// timers (and Deno's) clamp to 1 ms with a TimeoutNegativeWarning on stderr each time (kafkajs #1751). The clamp is
// what kafkajs expects; the warning is noise in operators' logs. Every other warning is still printed.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "TimeoutNegativeWarning") console.error(`(nxflow) ${w.name}: ${w.message}`);
});

/** Raised for connection options that cannot work; names the option and the bad value (never a password). */
export class ConnectionOptionsError extends TypeError {
  override name = "ConnectionOptionsError";
}

/** One log line of the Kafka client. */
export interface ClientLogLine {
  level: "error" | "warn" | "info";
  message: string;
  broker?: string;
  error?: string;
}

const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
const ADDRESS = /^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/;

/**
 * Checks connection options and fills in defaults.
 *
 * @throws {ConnectionOptionsError} no brokers, a malformed address, an unknown SASL mechanism, a missing user name.
 */
export function checkConnection(options: ConnectionOptions): Required<Omit<ConnectionOptions, "sasl" | "tls">> & {
  sasl?: ConnectionOptions["sasl"];
  tls?: ConnectionOptions["tls"];
} {
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
 * A kafkajs client for these options.
 *
 * @param retries connection and request retries before kafkajs gives up (the actors retry on their own above this).
 * @param onLog receives kafkajs's warnings and errors.
 */
export function createKafka(
  options: ConnectionOptions,
  onLog: (line: ClientLogLine) => void = () => {},
  retries = 2,
): Kafka {
  const c = checkConnection(options);
  const config: KafkaConfig = {
    brokers: c.brokers,
    clientId: c.clientId,
    connectionTimeout: c.connectionTimeoutMs,
    requestTimeout: c.requestTimeoutMs,
    retry: { retries, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log }) => {
      const l = level === logLevel.ERROR ? "error" : level === logLevel.WARN ? "warn" : "info";
      onLog({ level: l, message: String(log.message), broker: log.broker as string, error: log.error as string });
    },
  };
  if (c.sasl) config.sasl = { ...c.sasl } as SASLOptions;
  if (c.tls === true) config.ssl = true;
  else if (c.tls) config.ssl = { ca: c.tls.ca ? [c.tls.ca] : undefined, cert: c.tls.cert, key: c.tls.key };
  return new Kafka(config);
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
