/**
 * A Kafka reader for low-rate command topics, used inside an actor whose topics change at run time (the file
 * writer's command handler: the job pool, and each job's control topic). Data topics go through the consumer actor
 * instead.
 *
 * - **`shared`**: joins a consumer group as an ordinary member (the job pool: one member of the group takes each
 *   message), starts from the group's committed offsets (the end when it has none; see
 *   `BrokerAdmin.startGroupAtEnd` for setting them before joining), and commits each message once handled. A
 *   handler that answers `"leave"` makes the listener commit that message and leave the group, so that the rest go
 *   to the other members (a writer that is full takes no more jobs).
 * - **`all`**: reads every partition from the beginning, alone (no group, committing nothing).
 *
 * @module
 */
import { Consumer } from "@platformatic/kafka";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { BrokerAdmin } from "./admin.ts";
import { clientOptions } from "./connection.ts";
import { causeOf } from "./errors.ts";
import { type FetchedBatch, PartitionFetcher } from "./fetcher.ts";

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
  #client: Consumer;
  #fetcher: PartitionFetcher;
  #admin: BrokerAdmin | null = null;
  /** the partitions the group gave this member (shared mode). */
  #mine = new Set<number>();
  #leaving = false;
  #stopped = false;

  private constructor(readonly options: ListenerOptions) {
    const shared = options.mode === "shared";
    if (shared && !options.groupId) throw new TypeError(`Cannot listen to ${options.topic}: shared mode needs a group`);
    this.#client = new Consumer({
      ...clientOptions(options.connection),
      groupId: shared ? options.groupId! : `nxflow.listener.${crypto.randomUUID()}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 3000,
      autocommit: false,
    });
    this.#fetcher = new PartitionFetcher(this.#client, {
      maxWaitMs: 200,
      onBatch: (batch) => this.#handle(batch),
      onError: (why, attempts) => {
        if (attempts === 5) this.options.onFailure?.(why);
      },
    });
  }

  /** Connects and starts listening; rejects when the cluster cannot be reached or the topic does not exist. */
  static async start(options: ListenerOptions): Promise<TopicListener> {
    const listener = new TopicListener(options);
    try {
      await listener.#run();
    } catch (error) {
      await listener.stop();
      throw error;
    }
    return listener;
  }

  async #run(): Promise<void> {
    const topic = this.options.topic;
    const admin = this.#admin = await BrokerAdmin.connect(this.options.connection);
    if (!(await admin.topicExists(topic))) throw new Error(`the topic ${topic} does not exist`);
    if (this.options.mode === "all") {
      for (const o of await admin.listOffsets(topic)) this.#fetcher.set(topic, o.partition, o.low);
    } else {
      this.#client.on("consumer:group:join", (e) => {
        void this.#assigned(e.assignments?.find((a) => a.topic === topic)?.partitions ?? []).catch((error) =>
          this.options.onFailure?.(causeOf(error))
        );
      });
      this.#client.topics.track(topic);
      await this.#client.joinGroup({});
    }
    this.#fetcher.start();
  }

  /** The group gave this member these partitions of the topic: read them from the group's committed offsets. */
  async #assigned(partitions: number[]): Promise<void> {
    const topic = this.options.topic;
    for (const p of this.#mine) if (!partitions.includes(p)) this.#fetcher.remove(topic, p);
    this.#mine = new Set(partitions);
    if (partitions.length === 0 || !this.#admin) return;
    const committed = await this.#admin.committedOffsets(this.options.groupId!, topic);
    const ends = await this.#admin.listOffsets(topic);
    for (const p of partitions) {
      if (this.#fetcher.has(topic, p)) continue;
      const c = committed.find((x) => x.partition === p)?.offset ?? -1;
      this.#fetcher.set(topic, p, c >= 0 ? c : ends.find((o) => o.partition === p)?.high ?? 0);
    }
  }

  async #handle(batch: FetchedBatch): Promise<void> {
    for (const m of batch.records) {
      if (this.#leaving || this.#stopped || !this.#fetcher.has(batch.topic, batch.partition)) return;
      const answer = await this.options.onMessage({
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        timestampMs: m.timestampMs,
        value: m.value ? new Uint8Array(m.value) : new Uint8Array(0),
      });
      if (this.options.mode === "shared") {
        await this.#client.commit({
          offsets: [{ topic: batch.topic, partition: batch.partition, offset: BigInt(m.offset + 1), leaderEpoch: -1 }],
        });
      }
      if (answer === "leave" && this.options.mode === "shared") {
        this.#leaving = true;
        setTimeout(() => void this.stop());
        return;
      }
    }
  }

  /** Whether it left (or is leaving) its group. */
  get stopped(): boolean {
    return this.#stopped || this.#leaving;
  }

  /** Stops listening and disconnects (leaving the group). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#fetcher.stop();
    await this.#client.close(true).catch(() => {});
    await this.#admin?.close();
  }
}
