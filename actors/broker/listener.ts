/**
 * A Kafka reader for low-rate command topics, used inside an actor whose topics change at run time (the file
 * writer's command handler: the job pool, and each job's control topic). Data topics go through the consumer actor
 * instead.
 *
 * - **`shared`**: joins a consumer group as an ordinary member (the job pool: one member of the group takes each
 *   message), starts from the group's committed offsets (the end when it has none; see
 *   `BrokerAdmin.startGroupAtEnd` for setting them before joining), and commits each message once handled. A handler that answers `"leave"` makes the listener commit that message and leave the group, so that the
 *   rest go to the other members (a writer that is full takes no more jobs).
 * - **`all`**: reads every partition from the beginning, alone (a group of its own, committing nothing).
 *
 * @module
 */
import type { Consumer } from "kafkajs";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { causeOf } from "./admin.ts";
import { fixedAssigner } from "./consume_batch.ts";
import { createKafka } from "./connection.ts";

/** One message as a listener hands it on. */
export interface ListenedMessage {
  topic: string;
  partition: number;
  offset: number;
  timestampMs: number;
  value: Uint8Array;
}

/** How to listen. */
export interface ListenerOptions {
  connection: ConnectionOptions;
  topic: string;
  mode: "shared" | "all";
  /** the group of `shared` mode. */
  groupId?: string;
  /** handles one message; `"leave"` (shared mode) leaves the group after committing it. */
  onMessage(message: ListenedMessage): Promise<"continue" | "leave" | void>;
  /** the listener stopped for good (the client crashed and will not retry); the owner decides what to do. */
  onFailure?(error: string): void;
}

/** A running listener; see the module doc. */
export class TopicListener {
  #consumer: Consumer;
  #leaving = false;
  #stopped = false;

  private constructor(readonly options: ListenerOptions) {
    const kafka = createKafka(options.connection);
    const shared = options.mode === "shared";
    if (shared && !options.groupId) throw new TypeError(`Cannot listen to ${options.topic}: shared mode needs a group`);
    this.#consumer = kafka.consumer({
      groupId: shared ? options.groupId! : `nxflow.listener.${crypto.randomUUID()}`,
      sessionTimeout: 10_000,
      partitionAssigners: shared ? undefined : [fixedAssigner(new Map([[options.topic, null]]))],
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
  }

  /** Connects and starts listening; rejects when the cluster cannot be reached or the topic does not exist. */
  static async start(options: ListenerOptions): Promise<TopicListener> {
    const listener = new TopicListener(options);
    await listener.#run();
    return listener;
  }

  async #run(): Promise<void> {
    const c = this.#consumer;
    c.on(c.events.CRASH, (e) => {
      if (!e.payload.restart && !this.#stopped) this.options.onFailure?.(causeOf(e.payload.error));
    });
    await c.connect();
    await c.subscribe({ topics: [this.options.topic], fromBeginning: this.options.mode === "all" });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
        for (const m of batch.messages) {
          if (!isRunning() || isStale() || this.#leaving || this.#stopped) return;
          const answer = await this.options.onMessage({
            topic: batch.topic,
            partition: batch.partition,
            offset: Number(m.offset),
            timestampMs: Number(m.timestamp),
            value: m.value ? new Uint8Array(m.value) : new Uint8Array(0),
          });
          resolveOffset(m.offset);
          if (this.options.mode === "shared") {
            const next = String(Number(m.offset) + 1);
            await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
          }
          if (answer === "leave" && this.options.mode === "shared") {
            this.#leaving = true;
            setTimeout(() => void this.stop());
            return;
          }
        }
      },
    });
  }

  /** Whether it left (or is leaving) its group. */
  get stopped(): boolean {
    return this.#stopped || this.#leaving;
  }

  /** Stops listening and disconnects. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#consumer.disconnect().catch(() => {});
  }
}
