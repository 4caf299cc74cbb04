/**
 * The forwarder role of `nxflow start` (configuration section `roles.forwarder`), also run alone by
 * `nxflow forwarder`, on the Kafka of the `kafka` section.
 *
 * Settings (defaults): `configTopic` ("forwarder_config"), `statusTopic` ("forwarder_status"), `storageTopic`
 * ("forwarder_storage"; "" for none), `skipRetrieval` (false), `pvUpdatePeriodMs` (0: no periodic re-sends),
 * `serviceId` ("": nxflow-forwarder-<pid>), `caAddrList` ("127.0.0.1"), `caServerPort` (5064), `pvaAddrList`
 * ("127.0.0.1": where PVA searches go, `host[:port]`), `pvaBroadcastPort` (5076), `groups` (4),
 * `streams` ("": a JSON file of streams, see `options.ts`), `graphite` ("": off, else Carbon's "host:port").
 *
 * With Graphite on, the main thread sends the serialiser's and the config actor's stats every 10 s as
 * `nxflow.forwarder.<serviceId>.serialiser.<counter>` and `...config.<counter>` ({@linkcode forwarderGraphite}).
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { ConfigProtocol, SerialiserProtocol, Stream } from "../../protocols/forwarder.ts";
import { BrokerAdmin } from "../broker/admin.ts";
import type { Log } from "../common/log.ts";
import { mergeChecked } from "../common/merge_checked.ts";
import { VERSION } from "../common/version.ts";
import { type Graphite, graphiteAddress, metricSegment, numericMetrics, startGraphite } from "../common/graphite.ts";
import type { Role } from "../roles.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { streamsFromJson } from "./options.ts";
import { parseAddrList } from "./pva/search.ts";
import { parseCaAddrList } from "./ca/search.ts";
import { forwarderTree } from "./tree.ts";

const DEFAULTS = {
  configTopic: "forwarder_config",
  statusTopic: "forwarder_status",
  storageTopic: "forwarder_storage",
  skipRetrieval: false,
  pvUpdatePeriodMs: 0,
  serviceId: "",
  caAddrList: "127.0.0.1",
  caServerPort: 5064,
  pvaAddrList: "127.0.0.1",
  pvaBroadcastPort: 5076,
  groups: 4,
  streams: "",
  graphite: "",
};

/** The forwarder role's checked settings. */
export type ForwarderRoleConfig = typeof DEFAULTS & { streamList: Stream[] };

/** The forwarder role. */
export const forwarder: Role<ForwarderRoleConfig> = {
  name: "forwarder",
  summary: "EPICS PVs over pvAccess and Channel Access → f144/al00/ep01/tdct/se00 on Kafka, configured by fc00",
  byDefault: true,
  kafka: true,
  check(section, where) {
    const c = mergeChecked(DEFAULTS, section, where);
    if (!c.configTopic || !c.statusTopic) {
      throw new TypeError(`Cannot use ${where}: configTopic and statusTopic are required`);
    }
    if (!Number.isInteger(c.groups) || c.groups < 1 || c.groups > 64) {
      throw new RangeError(`Cannot use ${where}.groups: an integer from 1 to 64, got ${c.groups}`);
    }
    for (const key of ["caServerPort", "pvaBroadcastPort"] as const) {
      if (!Number.isInteger(c[key]) || c[key] < 1 || c[key] > 65535) {
        throw new RangeError(`Cannot use ${where}.${key}: a port from 1 to 65535, got ${c[key]}`);
      }
    }
    if (c.pvUpdatePeriodMs !== 0 && !(c.pvUpdatePeriodMs >= 10)) {
      throw new RangeError(`Cannot use ${where}.pvUpdatePeriodMs: 0 (off) or at least 10, got ${c.pvUpdatePeriodMs}`);
    }
    if (c.graphite) graphiteAddress(c.graphite, `${where}.graphite`);
    try {
      parseAddrList(c.pvaAddrList, c.pvaBroadcastPort);
    } catch (error) {
      throw new TypeError(`Cannot use ${where}.pvaAddrList: ${(error as Error).message}`);
    }
    try {
      parseCaAddrList(c.caAddrList, c.caServerPort);
    } catch (error) {
      throw new TypeError(`Cannot use ${where}.caAddrList: ${(error as Error).message}`);
    }
    const streamList = c.streams ? streamsFromJson(Deno.readTextFileSync(c.streams)) : [];
    return { ...c, streamList };
  },
  async prepare(c, kafka) {
    const topics = new Set([c.configTopic, c.statusTopic, c.storageTopic, ...c.streamList.map((s) => s.topic)]);
    const admin = await BrokerAdmin.connect(kafka!);
    try {
      await admin.createTopics([...topics].filter((t) => t).map((topic) => ({ topic })));
    } finally {
      await admin.close();
    }
  },
  tree: (c, kafka) =>
    forwarderTree({
      kafka: kafka as ConnectionOptions,
      configTopic: c.configTopic,
      statusTopic: c.statusTopic,
      storageTopic: c.storageTopic || undefined,
      skipRetrieval: c.skipRetrieval,
      periodMs: c.pvUpdatePeriodMs || undefined,
      statusIntervalMs: 4000,
      groups: c.groups,
      serviceId: serviceIdOf(c),
      ca: { addrList: c.caAddrList, serverPort: c.caServerPort },
      pva: { addrList: c.pvaAddrList, broadcastPort: c.pvaBroadcastPort },
      streams: c.streamList,
      version: VERSION,
    }),
  attach(system, config, log) {
    for (const id of ["config", "serialiser"]) {
      system.ref<ConfigProtocol | SerialiserProtocol>(`forwarder/${id}`).onEmit((m) =>
        log(m.level, `root/forwarder/${id}`, m.message)
      );
    }
    if (config.graphite) forwarderGraphite(system, config.graphite, serviceIdOf(config), log);
  },
};

function serviceIdOf(c: ForwarderRoleConfig): string {
  return c.serviceId || `nxflow-forwarder-${Deno.pid}`;
}

/**
 * Sends the stats of the serialiser and the config actor (under `forwarder/`) to Carbon every 10 s, named
 * `nxflow.forwarder.<serviceId>.<actor>.<counter>` (the service id's dots and other odd characters become `_`).
 * An actor that does not answer within 2 s is left out of that round. Used by the role and by `nxflow forwarder`.
 *
 * @throws {TypeError} for an address that is not `host:port`.
 */
export function forwarderGraphite(system: ActorSystem, address: string, serviceId: string, log: Log): Graphite {
  const ask = (id: "serialiser" | "config") =>
    system.ref<ConfigProtocol | SerialiserProtocol>(`forwarder/${id}`).request("stats", null, { timeoutMs: 2000 })
      .then((stats) => numericMetrics(stats, id), () => []);
  return startGraphite({
    address,
    prefix: `nxflow.forwarder.${metricSegment(serviceId)}`,
    metrics: async () => (await Promise.all([ask("serialiser"), ask("config")])).flat(),
    intervalMs: 10_000,
    log,
    source: "forwarder",
  });
}
