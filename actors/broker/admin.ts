/**
 * Topic administration: create topics (partitions, replication, configs), check existence, list offsets and the
 * offsets for a time, read and set the offsets of consumer groups. Used by actors at start-up, by the command line
 * and by tests; not an actor itself. Returns nxflow's own types only.
 *
 * @module
 */
import { Admin, ConfigResourceTypes, ListOffsetTimestamps } from "@platformatic/kafka";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { clientOptions, describeConnection } from "./connection.ts";
import { causeOf, failureKind, kafkaErrorIds } from "./errors.ts";

export { causeOf };

/** Attempts of a read that fails in a way that passes. */
const READ_ATTEMPTS = 5;

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

/** One partition of a topic and the broker that leads it now. */
export interface PartitionInfo {
  partition: number;
  /** node id of the leader; -1 while there is none. */
  leader: number;
}

/** Raised when an admin operation fails; names the operation, the topic and the cluster. */
export class BrokerAdminError extends Error {
  override name = "BrokerAdminError";
}

/** A connected admin client. Close it with {@linkcode BrokerAdmin.close}. */
export class BrokerAdmin {
  private constructor(readonly options: ConnectionOptions, readonly admin: Admin) {}

  /**
   * Connects to the cluster.
   *
   * @throws {BrokerAdminError} the cluster cannot be reached or refused the credentials (the cause is in the message).
   */
  static async connect(options: ConnectionOptions, retries = 2): Promise<BrokerAdmin> {
    const admin = new Admin(clientOptions(options, retries));
    try {
      await admin.metadata({ topics: [] });
    } catch (error) {
      await admin.close().catch(() => {});
      throw new BrokerAdminError(`Cannot connect to Kafka at ${describeConnection(options)}: ${causeOf(error)}`);
    }
    return new BrokerAdmin(options, admin);
  }

  /** Creates topics that do not exist yet and waits for their leaders; returns the names it created. */
  async createTopics(specs: TopicSpec[]): Promise<string[]> {
    const existing = new Set(await this.#topics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return [];
    try {
      for (const s of missing) {
        await this.admin.createTopics({
          topics: [s.topic],
          partitions: s.partitions ?? 1,
          replicas: s.replication ?? 1,
          configs: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        }).catch((error) => {
          if (!kafkaErrorIds(error).includes("TOPIC_ALREADY_EXISTS")) throw error;
        });
      }
      for (const s of missing) await this.#waitForLeaders(s.topic, s.partitions ?? 1);
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
    return (await this.#topics()).includes(topic);
  }

  /** The partitions of a topic and their leaders, as the cluster's metadata says now. */
  async partitions(topic: string): Promise<PartitionInfo[]> {
    try {
      const metadata = await this.#read(() => this.admin.metadata({ topics: [topic], forceUpdate: true }));
      const t = metadata.topics.get(topic);
      if (!t) throw new Error("the topic does not exist");
      return t.partitions.map((p, partition) => ({ partition, leader: p.leader }));
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
      const resources = [{
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configurationKeys: ["max.message.bytes"],
      }];
      const [found] = await this.#read(() => this.admin.describeConfigs({ resources }));
      const value = Number(found?.configs.find((c) => c.name === "max.message.bytes")?.value);
      if (!(value > 0)) throw new Error("the broker did not say");
      return value;
    } catch (error) {
      throw new BrokerAdminError(`Cannot read max.message.bytes of topic ${topic}: ${causeOf(error)}`);
    }
  }

  /** Low and high offsets of every partition of a topic, by partition. */
  async listOffsets(topic: string): Promise<PartitionOffsets[]> {
    try {
      const partitions = await this.partitions(topic);
      const low = await this.#offsetsAt(topic, partitions.length, ListOffsetTimestamps.EARLIEST);
      const high = await this.#offsetsAt(topic, partitions.length, ListOffsetTimestamps.LATEST);
      return partitions.map(({ partition }) => ({ partition, low: low[partition], high: high[partition] }));
    } catch (error) {
      throw new BrokerAdminError(`Cannot list the offsets of topic ${topic}: ${causeOf(error)}`);
    }
  }

  /**
   * For each partition, the offset of the first record whose timestamp is at or after `timestampMs`; when there is
   * none, the high watermark as it was just before the search, so that a record produced meanwhile is not skipped.
   */
  async offsetsForTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: number }[]> {
    try {
      const partitions = await this.partitions(topic);
      const high = await this.#offsetsAt(topic, partitions.length, ListOffsetTimestamps.LATEST);
      const found = await this.#offsetsAt(topic, partitions.length, BigInt(Math.trunc(timestampMs)));
      return partitions.map(({ partition }) => ({
        partition,
        offset: found[partition] >= 0 ? found[partition] : high[partition],
      }));
    } catch (error) {
      throw new BrokerAdminError(`Cannot find the offsets of topic ${topic} at ${timestampMs} ms: ${causeOf(error)}`);
    }
  }

  /** The offsets a consumer group committed for a topic's partitions (-1: none). */
  async committedOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: number }[]> {
    try {
      const partitions = await this.partitions(topic);
      const [group] = await this.#read(() =>
        this.admin.listConsumerGroupOffsets({
          groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitions.map((p) => p.partition) }] }],
        })
      );
      const found = group?.topics.find((t) => t.name === topic)?.partitions ?? [];
      return partitions.map(({ partition }) => ({
        partition,
        offset: Number(found.find((p) => p.partitionIndex === partition)?.committedOffset ?? -1n),
      }));
    } catch (error) {
      throw new BrokerAdminError(`Cannot read the offsets group ${groupId} committed for ${topic}: ${causeOf(error)}`);
    }
  }

  /** Commits offsets for a consumer group that has no active members (what `assign` mode consumers use). */
  async commitOffsets(
    groupId: string,
    positions: { topic: string; partition: number; offset: number }[],
  ): Promise<void> {
    const topics = [...new Set(positions.map((p) => p.topic))].map((name) => ({
      name,
      partitionOffsets: positions.filter((p) => p.topic === name)
        .map((p) => ({ partition: p.partition, offset: BigInt(p.offset) })),
    }));
    try {
      await this.admin.alterConsumerGroupOffsets({ groupId, topics });
    } catch (error) {
      const names = topics.map((t) => t.name).join(", ");
      throw new BrokerAdminError(`Cannot commit offsets of group ${groupId} for ${names}: ${causeOf(error)}`);
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
    await this.admin.close().catch(() => {});
  }

  async #topics(): Promise<string[]> {
    try {
      return await this.admin.listTopics();
    } catch (error) {
      throw new BrokerAdminError(`Cannot list the topics of ${describeConnection(this.options)}: ${causeOf(error)}`);
    }
  }

  /** The offset of each partition at a timestamp (or EARLIEST / LATEST), by partition; -1 where none. */
  async #offsetsAt(topic: string, count: number, timestamp: bigint): Promise<number[]> {
    const [t] = await this.#read(() =>
      this.admin.listOffsets({
        topics: [{
          name: topic,
          partitions: Array.from({ length: count }, (_, i) => ({ partitionIndex: i, timestamp })),
        }],
      })
    );
    const out = new Array<number>(count).fill(-1);
    for (const p of t?.partitions ?? []) out[p.partitionIndex] = Number(p.offset);
    return out;
  }

  /**
   * Runs a read of the cluster again while it fails in a way that passes (a leader being elected, a partition that
   * moved, a coordinator loading): at most {@linkcode READ_ATTEMPTS} times.
   */
  async #read<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await read();
      } catch (error) {
        if (attempt >= READ_ATTEMPTS || failureKind(error) !== "retriable") throw error;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  async #waitForLeaders(topic: string, partitions: number): Promise<void> {
    for (let attempt = 0;; attempt++) {
      const found = await this.partitions(topic).catch(() => []);
      if (found.length >= partitions && found.every((p) => p.leader >= 0)) return;
      if (attempt >= 100) throw new Error(`topic ${topic} has no leader for every partition after 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
