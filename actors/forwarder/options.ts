/**
 * Parts of the forwarder's start-up configuration that the role (`role.ts`) and `nxflow forwarder` check: ESS-style
 * topic addresses (`host:port/topic`) and the streams file.
 *
 * The streams file is JSON: a list of `{"channel", "schema", "topic", "protocol": "PVA", "periodic": 0}` (protocol
 * and periodic optional; protocol PVA or CA, PVA when absent as in fc00), the same fields as an fc00 stream.
 *
 * @module
 */
import type { Stream } from "../../protocols/forwarder.ts";
import { applyChange, type ConfigChange } from "./streams.ts";

/** Splits `[host:port/]topic`; the broker, when given, must be one of `brokers` (the forwarder's own Kafka). */
export function topicOf(address: string, brokers: readonly string[], option: string): string {
  const slash = address.lastIndexOf("/");
  const topic = address.slice(slash + 1);
  if (!topic) throw new TypeError(`Cannot use ${option} "${address}": no topic after the "/"`);
  const broker = address.slice(0, Math.max(slash, 0));
  if (slash >= 0 && !brokers.includes(broker)) {
    const own = brokers.length ? brokers.join(",") : "nxflow's local Kafka (no --brokers given)";
    throw new RangeError(`Cannot use ${option} "${address}": its broker must be the output broker, ${own}`);
  }
  return topic;
}

/** Parses and checks the streams file. @throws {TypeError} for a file that is not a list or has bad streams. */
export function streamsFromJson(text: string): Stream[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`Cannot read the streams file: ${(error as Error).message}`);
  }
  if (!Array.isArray(list)) throw new TypeError("Cannot use the streams file: it must be a JSON list of streams");
  const streams = list.map((s) => ({ protocol: "PVA", periodic: 0, ...s })) as ConfigChange["streams"];
  const result = applyChange([], { change: "ADD", streams });
  if (result.skipped.length > 0) throw new TypeError(`Cannot use the streams file: ${result.skipped.join("; ")}`);
  return result.streams;
}
