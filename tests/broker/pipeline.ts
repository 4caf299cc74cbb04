/**
 * A test tree around the broker actors: sender → (records) → producer → Kafka → consumer → (batches) → receiver,
 * under one `oneForOne` supervisor that tolerates many restarts (the tests crash actors on purpose).
 */
import type { ConsumerConfig } from "../../actors/broker/consumer.ts";
import type { ProducerConfig } from "../../actors/broker/producer.ts";
import { type ActorRef, ActorSystem, type ChildSpec } from "../../actors/runtime/mod.ts";
import type { ConnectionOptions, ConsumerProtocol, ProducerProtocol } from "../../protocols/broker.ts";
import type { KafkaReceiverProtocol, KafkaSenderProtocol } from "../_fixtures/broker_protocols.ts";

const BROKER = new URL("../../actors/broker/", import.meta.url);
const FIXTURES = new URL("../_fixtures/actors/", import.meta.url);

/** A running test tree. */
export interface Pipeline {
  system: ActorSystem;
  sender?: ActorRef<KafkaSenderProtocol>;
  producer?: ActorRef<ProducerProtocol>;
  consumer?: ActorRef<ConsumerProtocol>;
  receiver?: ActorRef<KafkaReceiverProtocol>;
}

/** Which halves to start. */
export interface PipelineOptions {
  produce?: Partial<ProducerConfig>;
  consume?: Partial<ConsumerConfig> & Pick<ConsumerConfig, "topics">;
  /** receiver's index bitmap size. @default 1 */
  expect?: number;
}

/** Starts the tree; stop it with `system.stop()`. */
export async function startPipeline(connection: ConnectionOptions, options: PipelineOptions): Promise<Pipeline> {
  const children: ChildSpec[] = [];
  const channels = [];
  if (options.produce) {
    children.push(
      { id: "producer", module: new URL("producer.ts", BROKER), config: { connection, ...options.produce } },
      { id: "sender", module: new URL("kafka_sender.ts", FIXTURES) },
    );
    channels.push({ name: "records", between: ["sender", "producer"] as [string, string] });
  }
  if (options.consume) {
    children.push(
      { id: "receiver", module: new URL("kafka_receiver.ts", FIXTURES), config: { expect: options.expect ?? 1 } },
      { id: "consumer", module: new URL("consumer.ts", BROKER), config: { connection, ...options.consume } },
    );
    channels.push({ name: "batches", between: ["consumer", "receiver"] as [string, string] });
  }
  const system = await ActorSystem.start(
    { id: "root", strategy: "oneForOne", intensity: 50, periodMs: 10_000, children, channels },
    { onFatal: (reason) => console.error(`test tree gave up: ${reason}`) },
  );
  return {
    system,
    sender: options.produce ? system.ref<KafkaSenderProtocol>("sender") : undefined,
    producer: options.produce ? system.ref<ProducerProtocol>("producer") : undefined,
    consumer: options.consume ? system.ref<ConsumerProtocol>("consumer") : undefined,
    receiver: options.consume ? system.ref<KafkaReceiverProtocol>("receiver") : undefined,
  };
}
