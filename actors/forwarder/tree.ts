/**
 * The forwarder's supervision tree, built from its checked configuration:
 *
 * ```text
 * forwarder (oneForOne)
 * ├─ producer            Kafka producer actor (output broker)
 * ├─ serialiser          ─records→ producer; ←pvs_<i>─ monitor_<i>; ←streams─ config
 * ├─ config_consumer     config topic and storage topic partition 0, from the beginning ─batches→ config
 * ├─ config              ─assign_<i>→ monitor_<i>
 * └─ monitor_0..n-1      CA and PVA monitor groups (backoff: they depend on the IOCs)
 * ```
 *
 * @module
 */
import type { ConsumerConfig } from "../broker/consumer.ts";
import type { ProducerConfig } from "../broker/producer.ts";
import type { ChannelSpec, ChildSpec, SupervisorSpec } from "../runtime/child_spec.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { Stream } from "../../protocols/forwarder.ts";
import type { CaEnvironment } from "./ca/client.ts";
import type { PvaEnvironment } from "./pva/client.ts";
import type { ConfigActorConfig } from "./config.ts";
import type { MonitorConfig } from "./pv_monitor.ts";
import type { SerialiserConfig } from "./serialiser.ts";

/** Everything the forwarder needs, checked (see `role.ts`). */
export interface ForwarderConfig {
  /** the output broker; also used for the config, status and storage topics. */
  kafka: ConnectionOptions;
  configTopic: string;
  statusTopic: string;
  storageTopic?: string;
  /** do not restore the stream set from the storage topic at start-up. */
  skipRetrieval: boolean;
  /** re-send period of periodic streams, ms; none when absent. */
  periodMs?: number;
  statusIntervalMs: number;
  /** number of PV monitor groups (Workers). */
  groups: number;
  serviceId: string;
  ca: CaEnvironment;
  pva: PvaEnvironment;
  /** streams of the configuration file. */
  streams: Stream[];
  version: string;
}

const HERE = new URL("./", import.meta.url);
const BROKER = new URL("../broker/", import.meta.url);

/** The forwarder's supervisor spec. */
export function forwarderTree(c: ForwarderConfig): SupervisorSpec {
  const restore = Boolean(c.storageTopic) && !c.skipRetrieval;
  const groups = Array.from({ length: c.groups }, (_, i) => i);
  const children: ChildSpec[] = [
    {
      id: "producer",
      module: new URL("producer.ts", BROKER),
      config: { connection: c.kafka } satisfies ProducerConfig,
    },
    {
      id: "serialiser",
      module: new URL("serialiser.ts", HERE),
      config: {
        groups: c.groups,
        serviceId: c.serviceId,
        statusTopic: c.statusTopic,
        storageTopic: c.storageTopic,
        periodMs: c.periodMs,
        statusIntervalMs: c.statusIntervalMs,
        version: c.version,
      } satisfies SerialiserConfig,
    },
    {
      id: "config_consumer",
      module: new URL("consumer.ts", BROKER),
      config: {
        connection: c.kafka,
        topics: [{ topic: c.configTopic }, ...(restore ? [{ topic: c.storageTopic!, partitions: [0] }] : [])],
        start: "beginning",
      } satisfies ConsumerConfig,
    },
    {
      id: "config",
      module: new URL("config.ts", HERE),
      config: {
        groups: c.groups,
        initial: c.streams,
        storageTopic: restore ? c.storageTopic : undefined,
        since: Date.now(),
      } satisfies ConfigActorConfig,
    },
    ...groups.map((i) => ({
      id: `monitor_${i}`,
      module: new URL("pv_monitor.ts", HERE),
      config: { index: i, ca: c.ca, pva: c.pva } satisfies MonitorConfig,
      backoff: { initialMs: 100, maxMs: 5000 },
    })),
  ];
  const channels: ChannelSpec[] = [
    { name: "records", between: ["serialiser", "producer"] },
    { name: "streams", between: ["config", "serialiser"] },
    { name: "batches", between: ["config_consumer", "config"] },
    ...groups.flatMap((i) => [
      { name: `assign_${i}`, between: ["config", `monitor_${i}`] as [string, string] },
      { name: `pvs_${i}`, between: [`monitor_${i}`, "serialiser"] as [string, string] },
    ]),
  ];
  return { id: "forwarder", strategy: "oneForOne", intensity: 20, periodMs: 10_000, children, channels };
}
