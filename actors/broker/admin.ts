/**
 * Topic administration: create topics (partitions, replication, configs), check existence, list offsets and the
 * offsets for a time. Used by actors at start-up, by the command line and by tests; not an actor itself.
 *
 * @module
 */
import { type Admin, ConfigResourceTypes, type PartitionMetadata } from "kafkajs";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { createKafka, describeConnection } from "./connection.ts";
import { GroupOffsets } from "./group_offsets.ts";

/** A topic to create. */
export interface TopicSpec {
  topic: string;
  /** @default 1 */
  partitions?: number;
  /** @default 1 */
  replication?: number;
  /** topic configs, e.g. `{ "min.insync.replicas": "2", "max.message.bytes": "104857600" }`. */
  configs?: Record<string, string>;
}

/** The offsets of one partition: the first available and the next to be written (high watermark). */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

/** Raised when an admin operation fails; names the operation, the topic and the cluster. */
export class BrokerAdminError extends Error {
  override name = "BrokerAdminError";
}

/** A connected admin client. Close it with {@linkcode BrokerAdmin.close}. */
export class BrokerAdmin {
  #groups: GroupOffsets | null = null;

  private constructor(readonly options: ConnectionOptions, readonly admin: Admin) {}

  /**
   * Connects to the cluster.
   *
   * @throws {BrokerAdminError} the cluster cannot be reached or refused the credentials (the cause is in the message).
   */
  static async connect(options: ConnectionOptions, retries = 2): Promise<BrokerAdmin> {
    const admin = createKafka(options, () => {}, retries).admin();
    try {
      await admin.connect();
    } catch (error) {
      await admin.disconnect().catch(() => {});
      throw new BrokerAdminError(`Cannot connect to Kafka at ${describeConnection(options)}: ${causeOf(error)}`);
    }
    return new BrokerAdmin(options, admin);
  }

  /** Creates topics that do not exist yet and waits for their leaders; returns the names it created. */
  async createTopics(specs: TopicSpec[]): Promise<string[]> {
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return [];
    try {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions ?? 1,
          replicationFactor: s.replication ?? 1,
          configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (error) {
      const names = missing.map((s) => s.topic).join(", ");
      throw new BrokerAdminError(
        `Cannot create topics ${names} on ${describeConnection(this.options)}: ${causeOf(error)}`,
      );
    }
    return missing.map((s) => s.topic);
  }

  /** Whether the topic exists. */
  async topicExists(topic: string): Promise<boolean> {
    return (await this.admin.listTopics()).includes(topic);
  }

  /** The partitions of a topic and their leaders, as the cluster's metadata says now. */
  async partitions(topic: string): Promise<PartitionMetadata[]> {
    try {
      const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0].partitions;
    } catch (error) {
      throw new BrokerAdminError(`Cannot read the partitions of topic ${topic}: ${causeOf(error)}`);
    }
  }

  /**
   * The largest record batch the topic accepts (its `max.message.bytes`, else the broker's `message.max.bytes`):
   * a produce request may not put more than this into one partition.
   */
  async maxMessageBytes(topic: string): Promise<number> {
    try {
      const { resources } = await this.admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["max.message.bytes"] }],
      });
      const value = Number(resources[0]?.configEntries.find((e) => e.configName === "max.message.bytes")?.configValue);
      if (!(value > 0)) throw new Error("the broker did not say");
      return value;
    } catch (error) {
      throw new BrokerAdminError(`Cannot read max.message.bytes of topic ${topic}: ${causeOf(error)}`);
    }
  }

  /** Low and high offsets of every partition of a topic, by partition. */
  async listOffsets(topic: string): Promise<PartitionOffsets[]> {
    try {
      const offsets = await this.admin.fetchTopicOffsets(topic);
      return offsets
        .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      throw new BrokerAdminError(`Cannot list the offsets of topic ${topic}: ${causeOf(error)}`);
    }
  }

  /**
   * For each partition, the offset of the first record whose timestamp is at or after `timestampMs`; the high
   * watermark when there is none.
   */
  async offsetsForTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: number }[]> {
    try {
      const offsets = await this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
      return offsets.map((o) => ({ partition: o.partition, offset: Number(o.offset) }))
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      throw new BrokerAdminError(`Cannot find the offsets of topic ${topic} at ${timestampMs} ms: ${causeOf(error)}`);
    }
  }

  /** The offsets a consumer group committed for a topic's partitions (-1: none). */
  async committedOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: number }[]> {
    try {
      const [found] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
      return (found?.partitions ?? []).map((p) => ({ partition: p.partition, offset: Number(p.offset) }));
    } catch (error) {
      throw new BrokerAdminError(`Cannot read the offsets group ${groupId} committed for ${topic}: ${causeOf(error)}`);
    }
  }

  /** Commits offsets for a consumer group that has no active members (what `assign` mode consumers use). */
  async commitOffsets(
    groupId: string,
    positions: { topic: string; partition: number; offset: number }[],
  ): Promise<void> {
    this.#groups ??= new GroupOffsets(this.options);
    try {
      await this.#groups.commit(groupId, positions);
    } catch (error) {
      const topics = [...new Set(positions.map((p) => p.topic))].join(", ");
      throw new BrokerAdminError(`Cannot commit offsets of group ${groupId} for ${topics}: ${causeOf(error)}`);
    }
  }

  /**
   * Gives a consumer group that never committed on a topic the topic's end offsets as they are now, so that the
   * group's members later start there: what is sent after this call is read even if it is sent before they joined
   * (joining takes seconds), and nothing older. Does nothing when the group committed before, or has members.
   */
  async startGroupAtEnd(groupId: string, topic: string): Promise<void> {
    // a new cluster elects the group coordinator (the __consumer_offsets topic) on first use: retry a while
    let committed: { partition: number; offset: number }[] = [];
    for (let attempt = 1;; attempt++) {
      try {
        committed = await this.committedOffsets(groupId, topic);
        break;
      } catch (error) {
        if (attempt >= 40) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    if (committed.some((p) => p.offset >= 0)) return;
    const ends = await this.listOffsets(topic);
    await this.commitOffsets(groupId, ends.map((o) => ({ topic, partition: o.partition, offset: o.high })))
      .catch(() => {}); // refused while the group has members: they have positions of their own
  }

  async close(): Promise<void> {
    await this.#groups?.close();
    await this.admin.disconnect();
  }
}

/** The innermost message of a kafkajs error chain. */
export function causeOf(error: unknown): string {
  const parts: string[] = [];
  let e = error as { message?: string; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return parts.join(": ") || String(error);
}
