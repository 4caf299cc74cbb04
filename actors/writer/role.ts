/**
 * The file writer role of `nxflow start` (configuration section `roles.writer`) and of `nxflow writer`: NeXus files
 * from Kafka, driven by run start/stop commands like ESS kafka-to-nexus. Settings and their defaults are in
 * `options.ts` (kafka-to-nexus's option names).
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { HandlerConfig } from "../../protocols/writer.ts";
import { BrokerAdmin } from "../broker/admin.ts";
import { VERSION } from "../common/version.ts";
import type { Role } from "../roles.ts";
import { serviceId } from "./command/status.ts";
import { JobManager } from "./jobs.ts";
import { type WriterSettings, writerSettings } from "./options.ts";
import { writerGraphite } from "./graphite.ts";
import { writerTree } from "./tree.ts";

/** The consumer group every writer shares on the job pool topic (one writer takes each job). */
export const POOL_GROUP = "nxflow-writer-pool";

/** The writer role's checked settings and its service id (fixed for the life of the process). */
export type WriterRoleConfig = WriterSettings & { serviceId: string };

/** The handler's configuration from the role's settings. */
export function handlerConfig(c: WriterRoleConfig, connection: ConnectionOptions): HandlerConfig {
  return {
    connection,
    jobPoolTopic: c.jobPoolTopic,
    commandStatusTopic: c.commandStatusTopic,
    poolGroupId: POOL_GROUP,
    hdfOutputPrefix: c.hdfOutputPrefix,
    serviceId: c.serviceId,
    version: VERSION,
    statusIntervalMs: c.statusMasterIntervalMs,
    timeBeforeStartMs: c.timeBeforeStartMs,
    timeAfterStopMs: c.timeAfterStopMs,
    flushIntervalMs: c.dataFlushIntervalMs,
    maxJobs: c.maxJobs,
    maxQueuedBytes: c.maxQueuedBytes,
  };
}

/** The file writer role. */
export const writer: Role<WriterRoleConfig> = {
  name: "writer",
  summary: "NeXus (HDF5) files from Kafka, driven by pl72/6s4t commands (kafka-to-nexus's protocol)",
  byDefault: true,
  kafka: true,
  check: (section, where) => {
    const settings = writerSettings(section, where);
    return { ...settings, serviceId: serviceId(settings.serviceName || undefined) };
  },
  async prepare(c, kafka, log) {
    const admin = await BrokerAdmin.connect(kafka!);
    try {
      const made = await admin.createTopics([{ topic: c.jobPoolTopic }, { topic: c.commandStatusTopic }]);
      if (made.length) log("info", "writer", `created topics ${made.join(", ")}`);
      await admin.startGroupAtEnd(POOL_GROUP, c.jobPoolTopic);
    } finally {
      await admin.close();
    }
    log("info", "writer", `${c.serviceId}: jobs from ${c.jobPoolTopic}, files under ${c.hdfOutputPrefix}`);
  },
  tree: (c, kafka) => writerTree(handlerConfig(c, kafka!)),
  attach(system, c, log, kafka) {
    new JobManager(system, "root/writer", kafka!, log);
    if (c.graphite) writerGraphite(system, c.graphite, c.serviceId, log);
  },
};
