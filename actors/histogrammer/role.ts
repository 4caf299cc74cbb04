/**
 * The histogrammer role of `nxflow start` (configuration section `roles.histogrammer`) and of `nxflow histogrammer`:
 * live histograms of neutron events driven by ESS just-bin-it's JSON commands on a config topic, published as
 * hs01/hs00/da00. Settings, their defaults and the command-line flags are here.
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { ControlConfig } from "../../protocols/histogrammer.ts";
import { BrokerAdmin } from "../broker/admin.ts";
import { mergeChecked } from "../common/merge_checked.ts";
import { VERSION } from "../common/version.ts";
import type { Role } from "../roles.ts";
import { RunManager } from "./manager.ts";
import { histogrammerTree } from "./tree.ts";

/** The role's settings (`roles.histogrammer`), with their defaults. */
export const HISTOGRAMMER_DEFAULTS = {
  /** just-bin-it's commands are read from here (from its end: a command sent before the start is not seen). */
  configTopic: "hist_commands",
  /** ACK/ERR for commands with a `msg_id`; "" for none. */
  responseTopic: "hist_responses",
  /** x5f2 heartbeats; "" for none. */
  hbTopic: "hist_heartbeat",
  heartbeatIntervalMs: 1000,
  /** each histogram is published this often (and once more when it finishes). */
  publishIntervalMs: 1000,
  /** the x5f2 `service_id` (just-bin-it's own is "just-bin-it"). */
  serviceId: "just-bin-it",
};

/** The role's checked settings. */
export type HistogrammerSettings = typeof HISTOGRAMMER_DEFAULTS;

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Checks a histogrammer section and applies the defaults.
 *
 * @throws {TypeError} an unknown key, a value of the wrong type, a bad topic name
 * @throws {RangeError} an interval below 10 ms
 */
export function histogrammerSettings(section: Record<string, unknown>, where: string): HistogrammerSettings {
  const c = mergeChecked(HISTOGRAMMER_DEFAULTS, section, where);
  for (const key of ["configTopic", "responseTopic", "hbTopic"] as const) {
    if ((c[key] !== "" || key === "configTopic") && !TOPIC.test(c[key])) {
      throw new TypeError(`Cannot use ${where}.${key}: a Kafka topic name, got ${JSON.stringify(c[key])}`);
    }
  }
  for (const key of ["heartbeatIntervalMs", "publishIntervalMs"] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 10) {
      throw new RangeError(`Cannot use ${where}.${key}: whole milliseconds, at least 10, got ${c[key]}`);
    }
  }
  return c;
}

/** The flags of `nxflow histogrammer`, just-bin-it's names where it has them. */
export const HISTOGRAMMER_FLAGS = {
  "config-topic": { type: "string" },
  "response-topic": { type: "string" },
  "hb-topic": { type: "string" },
  "heartbeat-interval-ms": { type: "string" },
  "publish-interval-ms": { type: "string" },
  "service-id": { type: "string" },
} as const;

/**
 * Maps the flags given to a section for {@linkcode histogrammerSettings}.
 *
 * @throws {TypeError} a flag given twice, an interval that is not a whole number
 */
export function histogrammerFlagsToSection(values: Record<string, unknown>): Record<string, unknown> {
  const section: Record<string, unknown> = {};
  for (const flag of Object.keys(HISTOGRAMMER_FLAGS)) {
    const value = values[flag];
    if (value === undefined) continue;
    if (typeof value !== "string") throw new TypeError(`Cannot use --${flag}: it takes one value`);
    const key = flag.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
    if (flag.endsWith("-ms")) {
      if (!/^\d+$/.test(value)) throw new TypeError(`Cannot use --${flag}: whole milliseconds, got ${value}`);
      section[key] = Number(value);
    } else section[key] = value;
  }
  return section;
}

/** The command actor's configuration from the settings. */
export function controlConfig(c: HistogrammerSettings, connection: ConnectionOptions): ControlConfig {
  return {
    connection,
    responseTopic: c.responseTopic || null,
    heartbeatTopic: c.hbTopic || null,
    heartbeatMs: c.heartbeatIntervalMs,
    serviceId: c.serviceId,
    version: VERSION,
    publishMs: c.publishIntervalMs,
  };
}

/** The histogrammer role. */
export const histogrammer: Role<HistogrammerSettings> = {
  name: "histogrammer",
  summary: "live histograms (hs01/hs00/da00) of ev44/ev42 events, driven by just-bin-it's JSON commands",
  byDefault: true,
  kafka: true,
  check: histogrammerSettings,
  async prepare(c, kafka, log) {
    const admin = await BrokerAdmin.connect(kafka!);
    try {
      const topics = [c.configTopic, c.responseTopic, c.hbTopic].filter((t) => t !== "");
      const made = await admin.createTopics(topics.map((topic) => ({ topic })));
      if (made.length) log("info", "histogrammer", `created topics ${made.join(", ")}`);
    } finally {
      await admin.close();
    }
    log("info", "histogrammer", `commands from ${c.configTopic}`);
  },
  tree: (c, kafka) => histogrammerTree(controlConfig(c, kafka!), c.configTopic, kafka!),
  attach(system, _c, log) {
    new RunManager(system, "root/histogrammer", log);
  },
};
