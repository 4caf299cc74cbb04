/**
 * The forwarder's start-up configuration, checked once: ESS-style topic addresses (`host:port/topic`), the
 * streams file, and the Channel Access settings. Bad values stop the start with an error naming the option. The
 * Kafka connection comes from nxflow's Kafka options (`actors/cli/kafka_config.ts`), not from here.
 *
 * The streams file is JSON: a list of `{"channel", "schema", "topic", "protocol": "PVA", "periodic": 0}` (protocol
 * and periodic optional; protocol PVA or CA, PVA when absent as in fc00), the same fields as an fc00 stream.
 *
 * @module
 */
import type { Stream } from "../../protocols/forwarder.ts";
import type { ForwarderConfig } from "./tree.ts";
import { applyChange, type ConfigChange } from "./streams.ts";
import { parseAddrList } from "./pva/search.ts";
import { parseCaAddrList } from "./ca/search.ts";

/** The forwarder's options as the command line gives them. */
export interface ForwarderOptions {
  configTopic: string;
  statusTopic: string;
  /** the brokers of the Kafka options (empty: nxflow's local Kafka), which a topic address's broker must be one of. */
  brokers: string[];
  storageTopic?: string;
  skipRetrieval?: boolean;
  pvUpdatePeriodMs?: number;
  serviceId?: string;
  caAddrList?: string;
  caServerPort?: number;
  /** `EPICS_PVA_ADDR_LIST`: where to search PVA PVs. @default "127.0.0.1" */
  pvaAddrList?: string;
  /** `EPICS_PVA_BROADCAST_PORT`: the default search port. @default 5076 */
  pvaBroadcastPort?: number;
  groups?: number;
  /** the streams file's text. */
  streamsJson?: string;
  version: string;
}

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

/** Checks the options and builds the tree's configuration, all but the Kafka connection. */
export function forwarderConfig(o: ForwarderOptions): Omit<ForwarderConfig, "kafka"> {
  const groups = o.groups ?? 4;
  if (!Number.isInteger(groups) || groups < 1 || groups > 64) {
    throw new RangeError(`Cannot use --groups ${groups}: must be an integer from 1 to 64`);
  }
  const period = o.pvUpdatePeriodMs;
  if (period !== undefined && !(period >= 10)) {
    throw new RangeError(`Cannot use --pv-update-period ${period}: must be at least 10 ms`);
  }
  const port = o.caServerPort ?? 5064;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`Cannot use --ca-server-port ${port}`);
  const pvaPort = o.pvaBroadcastPort ?? 5076;
  if (!Number.isInteger(pvaPort) || pvaPort < 1 || pvaPort > 65535) {
    throw new RangeError(`Cannot use --pva-broadcast-port ${pvaPort}`);
  }
  const pva = { addrList: o.pvaAddrList ?? "127.0.0.1", broadcastPort: pvaPort };
  parseAddrList(pva.addrList, pvaPort);
  const ca = { addrList: o.caAddrList ?? "127.0.0.1", serverPort: port };
  parseCaAddrList(ca.addrList, port);
  return {
    configTopic: topicOf(o.configTopic, o.brokers, "--config-topic"),
    statusTopic: topicOf(o.statusTopic, o.brokers, "--status-topic"),
    storageTopic: o.storageTopic ? topicOf(o.storageTopic, o.brokers, "--storage-topic") : undefined,
    skipRetrieval: o.skipRetrieval ?? false,
    periodMs: period,
    statusIntervalMs: 4000,
    groups,
    serviceId: o.serviceId ?? `nxflow-forwarder-${Deno.pid}`,
    ca,
    pva,
    streams: o.streamsJson ? streamsFromJson(o.streamsJson) : [],
    version: o.version,
  };
}
