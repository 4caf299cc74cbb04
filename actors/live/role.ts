/**
 * The live view role of `nxflow start` (configuration section `roles.live`): web pages on the admin endpoint
 * (`/live`) showing the detector image and TOF spectrum the histogrammer makes, the forwarded PVs, the rates of the
 * topics, the supervision tree, the file writer's jobs and the health, with run and histogram controls. Its actors
 * read and send on Kafka (`tap.ts`); the pages and their data are served by `routes.ts`.
 *
 * ```text
 * live (oneForOne)
 * ├─ producer   Kafka producer actor: run start/stop, histogrammer commands
 * ├─ tap        keeps what the page shows ─records→ producer
 * └─ data       consumer actor: the event, EPICS, histogrammer and writer topics, from their end ─batches→ tap
 * ```
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { TapConfig } from "../../protocols/live.ts";
import { BrokerAdmin } from "../broker/admin.ts";
import type { ConsumerConfig } from "../broker/consumer.ts";
import type { ProducerConfig } from "../broker/producer.ts";
import { mergeChecked } from "../common/merge_checked.ts";
import { SYSTEM_FILES, SYSTEM_TOPICS } from "../common/system/defaults.ts";
import { HISTOGRAMMER_DEFAULTS } from "../histogrammer/role.ts";
import type { Role } from "../roles.ts";
import type { SupervisorSpec } from "../runtime/child_spec.ts";
import { WRITER_DEFAULTS } from "../writer/options.ts";
import { liveRoutes } from "./routes.ts";

/** The role's settings (`roles.live`), with their defaults: the default system's topics. */
export const LIVE_DEFAULTS = {
  /** event topics whose rates are shown; the first is the detector's, histogrammed for the image and spectrum. */
  eventTopics: [SYSTEM_TOPICS.detector, SYSTEM_TOPICS.monitor],
  epicsTopic: SYSTEM_TOPICS.epics,
  /** where the histogrammer publishes the live view's histograms (hs01). */
  histogramTopic: "nxflow_live_histograms",
  histCommandTopic: HISTOGRAMMER_DEFAULTS.configTopic,
  histResponseTopic: HISTOGRAMMER_DEFAULTS.responseTopic,
  writerPoolTopic: WRITER_DEFAULTS.jobPoolTopic,
  writerStatusTopic: WRITER_DEFAULTS.commandStatusTopic,
  /** the control topic of runs started from the page (`nxflow run`'s). */
  writerControlTopic: "nxflow_writer_control",
  /** the nexus_structure of runs started from the page; its f144 `value_units` label the PV plots. */
  structure: SYSTEM_FILES.structure,
  /** the detector image: a dethist of `width × height` pixel ids from `firstId` (BIFROST: 900 × 15). */
  image: { firstId: 1, width: 900, height: 15 },
  /** the TOF spectrum: a hist1d over [0, maxNs] (one 14 Hz period). */
  spectrum: { maxNs: 71_500_000, bins: 250 },
  /** how long PV updates and rates are kept on the page. */
  historyS: 300,
  /** how often the page is updated. */
  updateMs: 500,
};

/** The role's checked settings. */
export type LiveSettings = typeof LIVE_DEFAULTS;

/** The histogram ids the live view asks the histogrammer for. */
export const LIVE_IDS = { image: "nxflow-live-image", spectrum: "nxflow-live-tof" } as const;

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Checks a live section and applies the defaults.
 *
 * @throws {TypeError} an unknown key, a value of the wrong type, a bad topic name
 * @throws {RangeError} a size or period out of range
 */
export function liveSettings(section: Record<string, unknown>, where: string): LiveSettings {
  const c = mergeChecked(LIVE_DEFAULTS, section, where);
  const topics = [c.epicsTopic, c.histogramTopic, c.histCommandTopic, c.histResponseTopic, c.writerPoolTopic];
  for (const t of [...topics, c.writerStatusTopic, c.writerControlTopic, ...c.eventTopics]) {
    if (typeof t !== "string" || !TOPIC.test(t)) throw new TypeError(`Cannot use ${where}: bad topic name ${t}`);
  }
  if (c.eventTopics.length === 0) throw new RangeError(`Cannot use ${where}.eventTopics: at least one topic`);
  const { firstId, width, height } = c.image;
  if (![firstId, width, height].every(Number.isInteger) || width < 1 || height < 1 || width * height > 4_194_304) {
    throw new RangeError(`Cannot use ${where}.image: whole numbers, width × height at most 2048 × 2048`);
  }
  if (!(c.spectrum.maxNs > 0) || !Number.isInteger(c.spectrum.bins) || c.spectrum.bins < 1) {
    throw new RangeError(`Cannot use ${where}.spectrum: maxNs above 0, bins a whole number above 0`);
  }
  if (!(c.historyS >= 10 && c.historyS <= 86_400)) throw new RangeError(`Cannot use ${where}.historyS: 10 to 86400`);
  if (!Number.isInteger(c.updateMs) || c.updateMs < 100) {
    throw new RangeError(`Cannot use ${where}.updateMs: whole milliseconds, at least 100`);
  }
  return c;
}

/** The just-bin-it `config` command of the live histograms. */
export function histConfig(c: LiveSettings, brokers: string[]): Record<string, unknown> {
  const common = { data_brokers: brokers, data_topics: [c.eventTopics[0]], topic: c.histogramTopic, source: "" };
  const { firstId, width, height } = c.image;
  return {
    cmd: "config",
    input_schema: "ev44",
    output_schema: "hs01",
    histograms: [
      {
        ...common,
        type: "dethist",
        id: LIVE_IDS.image,
        det_range: [firstId, firstId + width * height - 1],
        width,
        height,
      },
      { ...common, type: "hist1d", id: LIVE_IDS.spectrum, tof_range: [0, c.spectrum.maxNs], num_bins: c.spectrum.bins },
    ],
  };
}

function readStructure(path: string): string {
  const text = Deno.readTextFileSync(path);
  JSON.parse(text);
  return text;
}

/** The role's subtree. */
export function liveTree(c: LiveSettings, connection: ConnectionOptions, structure: string): SupervisorSpec {
  const broker = new URL("../broker/", import.meta.url);
  const tap: TapConfig = {
    connection,
    eventTopics: c.eventTopics,
    epicsTopic: c.epicsTopic,
    histogramTopic: c.histogramTopic,
    histCommandTopic: c.histCommandTopic,
    histResponseTopic: c.histResponseTopic,
    writerPoolTopic: c.writerPoolTopic,
    writerStatusTopic: c.writerStatusTopic,
    writerControlTopic: c.writerControlTopic,
    structure,
    histConfig: histConfig(c, connection.brokers),
    pvHistoryMs: c.historyS * 1000,
  };
  const read = [...c.eventTopics, c.epicsTopic, c.histogramTopic, c.histCommandTopic, c.histResponseTopic];
  return {
    id: "live",
    strategy: "oneForOne",
    intensity: 10,
    periodMs: 30_000,
    children: [
      { id: "producer", module: new URL("producer.ts", broker), config: { connection } satisfies ProducerConfig },
      { id: "tap", module: new URL("tap.ts", import.meta.url), config: tap },
      {
        id: "data",
        module: new URL("consumer.ts", broker),
        config: {
          connection,
          topics: [...read, c.writerStatusTopic, c.writerControlTopic].map((topic) => ({ topic })),
          start: "end",
        } satisfies ConsumerConfig,
      },
    ],
    channels: [
      { name: "records", between: ["tap", "producer"] },
      { name: "batches", between: ["data", "tap"] },
    ],
  };
}

/** The live view role. */
export const live: Role<LiveSettings> = {
  name: "live",
  summary: "live web view on the admin endpoint (/live): detector image, spectrum, PVs, rates, actors, runs",
  byDefault: true,
  kafka: true,
  check(section, where) {
    const c = liveSettings(section, where);
    try {
      readStructure(c.structure);
    } catch (error) {
      throw new TypeError(`Cannot use ${where}.structure: ${(error as Error).message}`);
    }
    return c;
  },
  async prepare(c, kafka) {
    const admin = await BrokerAdmin.connect(kafka!);
    try {
      const topics = [...c.eventTopics, c.epicsTopic, c.histogramTopic, c.histCommandTopic, c.histResponseTopic];
      await admin.createTopics(
        [...topics, c.writerPoolTopic, c.writerStatusTopic, c.writerControlTopic].map((topic) => ({ topic })),
      );
    } finally {
      await admin.close();
    }
  },
  tree: (c, kafka) => liveTree(c, kafka!, readStructure(c.structure)),
  routes: (system, c, log, admin) => liveRoutes(system, c, readStructure(c.structure), log, admin),
};
