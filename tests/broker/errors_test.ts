/**
 * How the broker actors classify a failed request, on Kafka's error ids and the client library's error codes
 * (errors shaped as the library raises them: `code`, `apiId`, `canRetry`, aggregated `errors`, `cause`).
 */
import assert from "node:assert/strict";
import { causeOf, failureKind } from "../../actors/broker/errors.ts";

const network = { code: "PLT_KFK_NETWORK", message: "Connection closed", canRetry: true };
const protocol = (apiId: string, canRetry: boolean, hasStaleMetadata = false) => ({
  code: "PLT_KFK_PROTOCOL",
  message: `Kafka said ${apiId}`,
  apiId,
  canRetry,
  hasStaleMetadata,
});
const multiple = (...errors: unknown[]) => ({
  code: "PLT_KFK_MULTIPLE",
  message: "Producing messages failed.",
  errors,
});

Deno.test("a lost connection, a timeout and a moved leader are retried", () => {
  assert.equal(failureKind(network), "retriable");
  assert.equal(failureKind({ code: "PLT_KFK_TIMEOUT", message: "Request timed out" }), "retriable");
  assert.equal(failureKind(multiple(protocol("NOT_LEADER_OR_FOLLOWER", true, true))), "retriable");
  assert.equal(failureKind(multiple(protocol("UNKNOWN_TOPIC_OR_PARTITION", true, true))), "retriable");
  assert.equal(failureKind(new Error("connect ECONNREFUSED 127.0.0.1:1")), "retriable");
});

Deno.test("a record the broker refuses for what it is never is", () => {
  assert.equal(failureKind(multiple(protocol("MESSAGE_TOO_LARGE", false))), "poison");
  assert.equal(failureKind(multiple(protocol("RECORD_LIST_TOO_LARGE", false))), "poison");
  assert.equal(failureKind(multiple(protocol("TOPIC_AUTHORIZATION_FAILED", false))), "poison");
  // a refusal next to a retriable error in one answer is a refusal
  assert.equal(
    failureKind(multiple(protocol("NOT_LEADER_OR_FOLLOWER", true, true), protocol("MESSAGE_TOO_LARGE", false))),
    "poison",
  );
});

Deno.test("a broken idempotent session is told apart, wherever it is in the chain", () => {
  assert.equal(failureKind(multiple(protocol("OUT_OF_ORDER_SEQUENCE_NUMBER", false))), "session");
  assert.equal(
    failureKind({ message: "wrapped", cause: multiple(protocol("INVALID_PRODUCER_EPOCH", false)) }),
    "session",
  );
});

Deno.test("the message text decides nothing; causeOf joins the chain once", () => {
  assert.equal(failureKind({ code: "PLT_KFK_USER", message: "network timeout connection refused" }), "poison");
  assert.equal(
    causeOf({ message: "outer", cause: { message: "inner", serverErrorMessage: "from the broker" } }),
    "outer: inner: from the broker",
  );
});
