/**
 * The histogrammer's supervision tree, and the subtree of one input of a `config` command that the manager starts
 * under `runs`:
 *
 * ```text
 * histogrammer (oneForOne)
 * ├─ producer        Kafka producer actor: responses and heartbeats
 * ├─ commands        consumer actor: the config topic, from its end ─batches→ control
 * ├─ control         command actor ─records→ producer
 * └─ runs            (oneForOne, children come and go)
 *    └─ run<n>-<i>   (oneForOne, temporary: one per input of the current config)
 *       ├─ producer  Kafka producer actor: the histograms
 *       ├─ binner    counts every histogram of this input ─records→ producer
 *       └─ data      consumer actor: the input topics from the start time ─batches→ binner
 * ```
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { BinnerConfig, ControlConfig } from "../../protocols/histogrammer.ts";
import type { ConsumerConfig } from "../broker/consumer.ts";
import type { ProducerConfig } from "../broker/producer.ts";
import type { ActorSpec, SupervisorSpec } from "../runtime/child_spec.ts";

const HERE = new URL("./", import.meta.url);
const BROKER = new URL("../broker/", import.meta.url);

/** The histogrammer's supervisor spec (its `runs` start empty). */
export function histogrammerTree(
  control: ControlConfig,
  configTopic: string,
  connection: ConnectionOptions,
  id = "histogrammer",
): SupervisorSpec {
  return {
    id,
    strategy: "oneForOne",
    intensity: 10,
    periodMs: 30_000,
    children: [
      { id: "producer", module: new URL("producer.ts", BROKER), config: { connection } satisfies ProducerConfig },
      {
        id: "commands",
        module: new URL("consumer.ts", BROKER),
        config: { connection, topics: [{ topic: configTopic }], start: "end" } satisfies ConsumerConfig,
      },
      { id: "control", module: new URL("control.ts", HERE), config: control },
      { id: "runs", strategy: "oneForOne", intensity: 100, periodMs: 10_000, children: [] },
    ],
    channels: [
      { name: "records", between: ["control", "producer"] },
      { name: "batches", between: ["commands", "control"] },
    ],
  };
}

/** The child id of one input of a config under `runs`. */
export function runChildId(seq: number, index: number): string {
  return `run${seq}-${index}`;
}

/** The subtree that counts one input (without a consumer when the binner only reports an error). */
export function runTree(id: string, binner: BinnerConfig): SupervisorSpec {
  const topics = [...new Set(binner.histograms.flatMap((h) => h.dataTopics))];
  const data: ActorSpec = {
    id: "data",
    module: new URL("consumer.ts", BROKER),
    config: {
      connection: binner.connection,
      topics: topics.map((topic) => ({ topic })),
      start: { timestampMs: binner.startMs },
      maxBytesPerPartition: 8 * 1024 * 1024,
    } satisfies ConsumerConfig,
  };
  const reads = binner.error === undefined;
  return {
    id,
    strategy: "oneForOne",
    restart: "temporary",
    intensity: 20,
    periodMs: 60_000,
    children: [
      {
        id: "producer",
        module: new URL("producer.ts", BROKER),
        config: { connection: binner.connection } satisfies ProducerConfig,
      },
      { id: "binner", module: new URL("binner.ts", HERE), config: binner, shutdownMs: 3000 },
      ...(reads ? [data] : []),
    ],
    channels: [
      { name: "records", between: ["binner", "producer"] },
      ...(reads ? [{ name: "batches", between: ["data", "binner"] as [string, string] }] : []),
    ],
  };
}
