/**
 * The EFU role: socket reader → formation → serialiser → Kafka producer, each in its own Worker under a `oneForOne`
 * supervisor with direct channels between neighbours, so that a crash of one actor restarts only that actor and the
 * socket stays open. The control (command API, x5f2 status, Graphite) runs on the main thread (`control.ts`).
 *
 * Configuration (`roles.efu`, or `nxflow efu` options): `detector` (path of the detector config, required),
 * `host` ("127.0.0.1"), `port` (9000), `rxBuffer` (2000000), `topic` ("<instrument>_detector"), `statusTopic`
 * ("<instrument>_status"), `commandHost` ("127.0.0.1"), `commandPort` (8888; 0 = any free port, -1 = off), `graphite`
 * ("" = off, else "host:port"), `region` (0), `maxEvents` (12400), `flushMs` (1000), `statusIntervalMs` (2000),
 * `monitorEvery` (1000; 0 = off) and `monitorConsecutive` (2): that many raw datagrams of every `monitorEvery` go to
 * `samplesTopic` ("<topic>_samples") as ar51, as the reference EFU's debug samples. No Kafka settings: the role uses
 * the `kafka` section of `nxflow start`, `nxflow efu` the Kafka options (`kafka_config.ts`).
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { BrokerAdmin } from "../broker/admin.ts";
import type { ProducerConfig } from "../broker/producer.ts";
import { mergeChecked } from "../common/merge_checked.ts";
import type { Role } from "../roles.ts";
import type { SupervisorSpec } from "../runtime/child_spec.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { type EfuControl, startControl } from "./control.ts";
import { counterStore } from "./counters.ts";
import { checkDetectorConfig, type DetectorConfig, familyOf } from "./detector_config.ts";
import { sequenceStore } from "./ess_header.ts";
import { handledStore } from "./flow_window.ts";
import { eventBufferStore } from "./event_buffers.ts";
import { recordStoreMemory } from "../broker/record_store.ts";
import type { FormationConfig } from "./formation.ts";
import type { SerialiserConfig } from "./serialiser.ts";
import type { SocketReaderConfig } from "./socket_reader.ts";

/** The EFU's settings. */
export interface EfuSettings {
  detector: string;
  host: string;
  port: number;
  /** kernel receive buffer of the UDP socket, bytes (capped by net.core.rmem_max). */
  rxBuffer: number;
  topic: string;
  statusTopic: string;
  commandHost: string;
  commandPort: number;
  graphite: string;
  region: number;
  maxEvents: number;
  flushMs: number;
  statusIntervalMs: number;
  /** send `monitorConsecutive` of every `monitorEvery` raw datagrams to `samplesTopic` as ar51 (0 = off). */
  monitorEvery: number;
  monitorConsecutive: number;
  samplesTopic: string;
}

/** Settings with the detector config loaded and topics resolved; the Kafka connection is given beside them. */
export interface EfuConfig extends EfuSettings {
  detectorConfig: DetectorConfig;
}

/** Defaults of the EFU's settings. */
export const EFU_DEFAULTS: EfuSettings = {
  detector: "",
  host: "127.0.0.1",
  port: 9000,
  rxBuffer: 2_000_000,
  topic: "",
  statusTopic: "",
  commandHost: "127.0.0.1",
  commandPort: 8888,
  graphite: "",
  region: 0,
  maxEvents: 12_400,
  flushMs: 1000,
  statusIntervalMs: 2000,
  monitorEvery: 1000,
  monitorConsecutive: 2,
  samplesTopic: "",
};

/** Checks the EFU's settings and loads the detector config; throws naming the bad field. */
export function checkEfuConfig(section: Record<string, unknown>, where: string): EfuConfig {
  const c = mergeChecked(EFU_DEFAULTS, section, where);
  if (!c.detector) throw new TypeError(`Cannot use ${where}.detector: the detector config file is required`);
  let json: unknown;
  try {
    json = JSON.parse(Deno.readTextFileSync(c.detector));
  } catch (error) {
    throw new TypeError(`Cannot use ${where}.detector "${c.detector}": ${(error as Error).message}`);
  }
  const detectorConfig = checkDetectorConfig(json, c.detector);
  if (!(Number.isInteger(c.port) && c.port >= 0 && c.port < 65536)) {
    throw new RangeError(`Cannot use ${where}.port: must be 0..65535, got ${c.port}`);
  }
  if (!(Number.isInteger(c.commandPort) && c.commandPort >= -1 && c.commandPort < 65536)) {
    throw new RangeError(`Cannot use ${where}.commandPort: must be -1..65535, got ${c.commandPort}`);
  }
  if (!(Number.isInteger(c.rxBuffer) && c.rxBuffer >= 0 && c.rxBuffer < 2 ** 31)) {
    throw new RangeError(`Cannot use ${where}.rxBuffer: must be 0..2147483647 bytes, got ${c.rxBuffer}`);
  }
  if (!(c.maxEvents >= 1 && c.maxEvents <= 10_000_000)) {
    throw new RangeError(`Cannot use ${where}.maxEvents: must be 1..10000000, got ${c.maxEvents}`);
  }
  for (const key of ["flushMs", "statusIntervalMs"] as const) {
    if (!(c[key] >= 10)) throw new RangeError(`Cannot use ${where}.${key}: must be ≥ 10, got ${c[key]}`);
  }
  if (!(Number.isInteger(c.monitorEvery) && c.monitorEvery >= 0)) {
    throw new RangeError(`Cannot use ${where}.monitorEvery: must be an integer ≥ 0 (0 = off), got ${c.monitorEvery}`);
  }
  const consecutive = c.monitorConsecutive;
  if (c.monitorEvery > 0 && !(Number.isInteger(consecutive) && consecutive >= 1 && consecutive <= c.monitorEvery)) {
    throw new RangeError(
      `Cannot use ${where}.monitorConsecutive: must be 1..monitorEvery (${c.monitorEvery}), got ${consecutive}`,
    );
  }
  if (c.graphite && !/^[^:]+:\d+$/.test(c.graphite)) {
    throw new TypeError(`Cannot use ${where}.graphite: must be "host:port", got "${c.graphite}"`);
  }
  const topic = c.topic || `${detectorConfig.instrument}_detector`;
  return {
    ...c,
    topic,
    samplesTopic: c.monitorEvery > 0 ? c.samplesTopic || `${topic}_samples` : "",
    statusTopic: c.statusTopic || `${detectorConfig.instrument}_status`,
    detectorConfig,
  };
}

/** Creates the ev44, status and samples topics when they do not exist yet. */
export async function ensureTopics(c: EfuConfig, connection: ConnectionOptions): Promise<void> {
  const admin = await BrokerAdmin.connect(connection);
  try {
    const topics = [c.topic, c.statusTopic, c.samplesTopic].filter(Boolean);
    await admin.createTopics(topics.map((topic) => ({ topic })));
  } finally {
    await admin.close();
  }
}

/**
 * The EFU's supervision subtree (its supervisor named `id`); each actor's counters (and the serialiser's message ids)
 * outlive its restarts.
 */
export function efuTree(c: EfuConfig, connection: ConnectionOptions, id = "efu"): SupervisorSpec {
  const here = (file: string) => new URL(file, import.meta.url);
  const sources = [...familyOf(c.detectorConfig).sources];
  return {
    id,
    strategy: "oneForOne",
    intensity: 10,
    periodMs: 10_000,
    children: [
      {
        id: "producer",
        module: new URL("../broker/producer.ts", import.meta.url),
        // few, large requests (cut to the topic's max.message.bytes): ~10% less EFU CPU at 5e6 events/s than 1 MiB
        // every 5 ms; 20 ms is still below the reference EFU's librdkafka queue.buffering.max.ms of 100
        config: { connection, lingerMs: 20, batchBytes: 4 * 1024 * 1024 } satisfies ProducerConfig,
      },
      {
        id: "serialiser",
        module: here("./serialiser.ts"),
        config: {
          sources,
          topic: c.topic,
          statusTopic: c.statusTopic,
          maxEvents: c.maxEvents,
          flushMs: c.flushMs,
          counterStore: counterStore(),
          messageIds: new SharedArrayBuffer(8 * (sources.length + 1)),
          handledStore: handledStore(),
          bufferStore: eventBufferStore(sources.length, c.maxEvents),
          // the serialiser's 64 MiB in flight, and room for records acknowledged out of order
          outboxStore: recordStoreMemory(80 * 1024 * 1024),
          samplesTopic: c.samplesTopic,
          samplesSource: c.detectorConfig.instrument,
        } satisfies SerialiserConfig,
      },
      {
        id: "formation",
        module: here("./formation.ts"),
        config: {
          detector: c.detectorConfig,
          counterStore: counterStore(),
          sequenceStore: sequenceStore(),
          handledStore: handledStore(),
          // formation's 64 MiB in flight (packed a little larger), and room for acknowledgements out of order
          windowStore: recordStoreMemory(96 * 1024 * 1024),
          monitorEvery: c.monitorEvery,
          monitorConsecutive: c.monitorConsecutive,
        } satisfies FormationConfig,
        delivery: "atMostOnce",
      },
      {
        id: "reader",
        module: here("./socket_reader.ts"),
        config: {
          host: c.host,
          port: c.port,
          rxBufferBytes: c.rxBuffer,
          // 128 datagrams per batch (or 2 ms): formation and serialiser wake less often, ~0.14 cores less at 5e6/s
          batchPackets: 128,
          counterStore: counterStore(),
        } satisfies SocketReaderConfig,
      },
    ],
    channels: [
      { name: "packets", between: ["reader", "formation"] },
      { name: "events", between: ["formation", "serialiser"] },
      { name: "records", between: ["serialiser", "producer"] },
    ],
  };
}

/**
 * The EFU role's configuration: one EFU from the section's own settings (its tree is `efu`), or, when the section is
 * `{"instances": {"<name>": {...settings}, ...}}`, one EFU per instance (trees `efu/<name>`), e.g. a detector and its
 * beam monitor.
 */
export type EfuRoleConfig = { kind: "one"; efu: EfuConfig } | { kind: "many"; efus: [string, EfuConfig][] };

/** Checks the EFU role's section: one EFU's settings, or `instances`; throws naming the bad field. */
export function checkEfuRole(section: Record<string, unknown>, where: string): EfuRoleConfig {
  if (!("instances" in section)) return { kind: "one", efu: checkEfuConfig(section, where) };
  const { instances, ...rest } = section;
  if (Object.keys(rest).length) {
    throw new TypeError(`Cannot use ${where}.${Object.keys(rest)[0]}: with "instances", settings go in an instance`);
  }
  if (instances === null || typeof instances !== "object" || Array.isArray(instances)) {
    throw new TypeError(`Cannot use ${where}.instances: an object of named EFU settings`);
  }
  const efus = Object.entries(instances as Record<string, Record<string, unknown>>).map(([name, settings]) => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
      throw new TypeError(`Cannot use ${where}.instances.${name}: a name of letters, digits, _ and -`);
    }
    return [name, checkEfuConfig(settings ?? {}, `${where}.instances.${name}`)] as [string, EfuConfig];
  });
  if (efus.length === 0) throw new RangeError(`Cannot use ${where}.instances: at least one EFU`);
  return { kind: "many", efus };
}

/** Each EFU of the role with its tree's path under the root. */
function efusOf(c: EfuRoleConfig): [string, EfuConfig][] {
  return c.kind === "one" ? [["efu", c.efu]] : c.efus.map(([name, efu]) => [`efu/${name}`, efu]);
}

/** The EFU role of `nxflow start`. */
export const efu: Role<EfuRoleConfig> = {
  name: "efu",
  summary: "event formation units: ESS readout over UDP → ev44 on Kafka",
  byDefault: true,
  kafka: true,
  check: checkEfuRole,
  async prepare(c, kafka) {
    for (const [, one] of efusOf(c)) await ensureTopics(one, kafka!);
  },
  tree: (c, kafka) =>
    c.kind === "one" ? efuTree(c.efu, kafka!) : {
      id: "efu",
      strategy: "oneForOne",
      intensity: 10,
      periodMs: 10_000,
      children: c.efus.map(([name, one]) => efuTree(one, kafka!, name)),
    },
  attach(system, c, log) {
    for (const [path, one] of efusOf(c)) {
      const control: EfuControl = startControl(system, one, log, () => void stopEfu(system, path, control), path);
      log("info", path, `receiving ${one.detectorConfig.family} readouts on udp ${one.host}:${one.port}`, {
        topic: one.topic,
        statusTopic: one.statusTopic,
      });
    }
  },
};

/**
 * The EXIT command: stops one EFU (its control, then its tree at `path`), and the `efu` supervisor once its last
 * instance is gone. Other roles go on; `nxflow start` (and `nxflow efu`) end when no role is left.
 */
async function stopEfu(system: ActorSystem, path: string, control: EfuControl): Promise<void> {
  control.stop();
  const slash = path.lastIndexOf("/");
  if (slash < 0) return void await system.root.stopChild(path);
  const parent = system.supervisor(path.slice(0, slash));
  await parent.stopChild(path.slice(slash + 1));
  if (parent.children.length === 0) await system.root.stopChild(parent.spec.id);
}
