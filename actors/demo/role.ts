/**
 * The demo role: the whole path of a detector's data with a synthetic detector. The source serialises one ev44
 * message per pulse and produces it to Kafka through the producer actor; the consumer actor reads the topic back and
 * the counter histograms the events and reports rates. It is what `nxflow start` runs when no other role is
 * configured, so that a fresh installation shows the system working: rates and latency in the log, the tree at the
 * admin endpoint, faults to inject, and (with no Kafka configured) the embedded local Kafka.
 *
 * Configuration (`roles.demo`): `pulseHz` (14), `eventsPerPulse` (10000), `pixels` (16384), `seed` (1),
 * `reportIntervalMs` (5000), `topic` ("nxflow_demo_events"), `sourceName` ("demo_detector").
 *
 * @module
 */
import type { CounterProtocol } from "../../protocols/demo.ts";
import { BrokerAdmin } from "../broker/admin.ts";
import type { ConsumerConfig } from "../broker/consumer.ts";
import type { ProducerConfig } from "../broker/producer.ts";
import { mergeChecked } from "../cli/merge_checked.ts";
import type { Role } from "../roles.ts";
import type { CounterConfig } from "./counter.ts";
import type { SourceConfig } from "./source.ts";

/** The demo role's configuration. */
export type DemoConfig = SourceConfig & CounterConfig;

const DEFAULTS: DemoConfig = {
  pulseHz: 14,
  eventsPerPulse: 10_000,
  pixels: 16_384,
  seed: 1,
  reportIntervalMs: 5000,
  topic: "nxflow_demo_events",
  sourceName: "demo_detector",
};

const BROKER_BACKOFF = { initialMs: 500, maxMs: 10_000 };

/** The demo role. */
export const demo: Role<DemoConfig> = {
  name: "demo",
  summary: "synthetic detector → ev44 → Kafka → event counter, through the broker actors",
  byDefault: true,
  kafka: true,
  check(section, where) {
    const c = mergeChecked(DEFAULTS, section, where);
    for (const key of ["pulseHz", "eventsPerPulse", "pixels", "reportIntervalMs"] as const) {
      if (!(c[key] > 0)) throw new RangeError(`Cannot use ${where}.${key}: must be positive, got ${c[key]}`);
    }
    if (c.pulseHz > 1000) throw new RangeError(`Cannot use ${where}.pulseHz: at most 1000, got ${c.pulseHz}`);
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(c.topic)) throw new TypeError(`Cannot use ${where}.topic: not a topic name`);
    return c;
  },
  async prepare(c, kafka, log) {
    const admin = await BrokerAdmin.connect(kafka!);
    try {
      const created = await admin.createTopics([{ topic: c.topic, partitions: 1 }]);
      if (created.length) log("info", "root/demo", `created topic ${c.topic}`);
    } finally {
      await admin.close();
    }
  },
  tree: (c, kafka) => ({
    id: "demo",
    strategy: "oneForOne",
    intensity: 10,
    periodMs: 10_000,
    children: [
      {
        id: "producer",
        module: new URL("../broker/producer.ts", import.meta.url),
        config: { connection: kafka! } satisfies ProducerConfig,
        backoff: BROKER_BACKOFF,
      },
      {
        id: "consumer",
        module: new URL("../broker/consumer.ts", import.meta.url),
        config: { connection: kafka!, topics: [{ topic: c.topic }], start: "end" } satisfies ConsumerConfig,
        backoff: BROKER_BACKOFF,
      },
      {
        id: "counter",
        module: new URL("./counter.ts", import.meta.url),
        config: { pixels: c.pixels, reportIntervalMs: c.reportIntervalMs } satisfies CounterConfig,
      },
      {
        id: "source",
        module: new URL("./source.ts", import.meta.url),
        config: {
          pulseHz: c.pulseHz,
          eventsPerPulse: c.eventsPerPulse,
          pixels: c.pixels,
          seed: c.seed,
          topic: c.topic,
          sourceName: c.sourceName,
        } satisfies SourceConfig,
      },
    ],
    channels: [{ name: "records", between: ["source", "producer"] }, {
      name: "batches",
      between: ["consumer", "counter"],
    }],
  }),
  attach(system, _config, log) {
    system.ref<CounterProtocol>("demo/counter").onEmit((r) => {
      log(
        "info",
        "root/demo/counter",
        `${r.eventsPerSecond} events/s, ${r.events} events in ${r.messages} ev44 messages`,
        {
          busiestPixel: r.busiestPixel.id,
          meanTimeOfFlightMs: Number(r.meanTimeOfFlightMs.toFixed(2)),
          meanLatencyMs: Number(r.meanLatencyMs.toFixed(1)),
          rejected: r.rejected,
        },
      );
    });
  },
};
