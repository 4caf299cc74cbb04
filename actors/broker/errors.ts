/**
 * What a Kafka client error means, decided on Kafka's error codes and the client library's typed errors (never on
 * the text of a message): whether to try again, whether the request can never succeed, and a readable cause.
 *
 * @module
 */

/** A failure of a request, as the producer and consumer actors act on it. */
export type FailureKind =
  /** the connection, a timeout or a broker in transition (leader moved, coordinator loading): try again. */
  | "retriable"
  /** the idempotent producer's session is broken (sequence or epoch refused): a new producer id, then again. */
  | "session"
  /** the broker refused the request for what it carries (too large, bad topic, not allowed): never again. */
  | "poison";

interface LibraryError {
  message?: string;
  code?: string;
  apiId?: string;
  canRetry?: boolean;
  hasStaleMetadata?: boolean;
  producerFenced?: boolean;
  serverErrorMessage?: string | null;
  cause?: unknown;
  errors?: unknown[];
  response?: unknown;
}

/** Kafka error ids that break an idempotent producer's session. */
const SESSION_ERRORS = new Set([
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_EPOCH",
  "INVALID_PRODUCER_ID_MAPPING",
  "PRODUCER_FENCED",
]);

/** The library's error codes of failures outside the broker's answer that may pass. */
const TRANSIENT_CODES = new Set(["PLT_KFK_NETWORK", "PLT_KFK_TIMEOUT"]);

/** Every error in a chain (causes and the members of aggregated errors), outermost first, at most 20. */
export function errorsIn(error: unknown): LibraryError[] {
  const out: LibraryError[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || out.includes(e as LibraryError)) continue;
    const le = e as LibraryError;
    out.push(le);
    if (Array.isArray(le.errors)) queue.push(...le.errors);
    if (le.cause) queue.push(le.cause);
  }
  return out;
}

/** The Kafka error ids (e.g. `MESSAGE_TOO_LARGE`) in an error's chain. */
export function kafkaErrorIds(error: unknown): string[] {
  return errorsIn(error).flatMap((e) => (typeof e.apiId === "string" ? [e.apiId] : []));
}

/** How the actors treat a failed request; see {@linkcode FailureKind}. */
export function failureKind(error: unknown): FailureKind {
  const chain = errorsIn(error);
  const ids = kafkaErrorIds(error);
  if (ids.some((id) => SESSION_ERRORS.has(id))) return "session";
  if (ids.length > 0) {
    // the broker answered: retriable only when every error it gave is (a mix with a refusal is a refusal)
    return chain.every((e) => typeof e.apiId !== "string" || e.canRetry === true || e.hasStaleMetadata === true)
      ? "retriable"
      : "poison";
  }
  if (chain.some((e) => typeof e.code === "string" && TRANSIENT_CODES.has(e.code))) return "retriable";
  if (chain.some((e) => e.canRetry === true)) return "retriable";
  // an error without a broker's answer nor a known library code (a socket error from the runtime): the connection
  return chain.some((e) => typeof e.code === "string" && e.code.startsWith("PLT_KFK_")) ? "poison" : "retriable";
}

/** The messages of an error chain joined, without repeats: what logs and notices show. */
export function causeOf(error: unknown): string {
  const parts: string[] = [];
  for (const e of errorsIn(error)) {
    for (const text of [e.message, e.serverErrorMessage]) {
      if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    }
  }
  return parts.join(": ") || String(error);
}
