/**
 * The consumer actor's configuration and state, shared by its modules: the actor (`consumer.ts`) and where it reads
 * (`consumer_start.ts`). Also the bookkeeping both need: the key of a partition, and the end-of-partition notice.
 *
 * @module
 */
import type { Consumer } from "@platformatic/kafka";
import type { ConnectionOptions, ConsumerProtocol, ConsumerStats, Position, StartAt } from "../../protocols/broker.ts";
import type { ActorContext } from "../runtime/actor.ts";
import type { BrokerAdmin } from "./admin.ts";
import type { PartitionFetcher } from "./fetcher.ts";

/** Configuration of the consumer actor. */
export interface ConsumerConfig {
  connection: ConnectionOptions;
  /** topics to read; `partitions` (assign mode only) limits which. */
  topics: { topic: string; partitions?: number[] }[];
  /** @default "assign" */
  mode?: "assign" | "subscribe";
  /** the consumer group; required with `subscribe`. @default `nxflow.<actor path>` with `assign` */
  groupId?: string;
  /** @default "committed" */
  start?: StartAt;
  /** bytes per partition per fetch (a larger record still comes whole). @default 10485760 */
  maxBytesPerPartition?: number;
  /** delivered and not yet confirmed bytes above which fetching waits. @default 268435456 */
  maxUnconfirmedBytes?: number;
  /** @default 1000 */
  commitIntervalMs?: number;
  /** consumer group session timeout (subscribe mode: how long a crashed member holds its partitions). @default 10000 */
  sessionTimeoutMs?: number;
  /**
   * subscribe mode: the static member id (Kafka's `group.instance.id`), e.g. from the service id; unique in the
   * group. A restarted member with the same id takes its partitions back at once.
   */
  groupInstanceId?: string;
}

/** The consumer actor's context. */
export type ConsumerCtx = ActorContext<ConsumerProtocol>;

/** What the consumer keeps of one partition it reads. */
export interface PartitionState {
  /** delivered batches not yet confirmed: end offset (exclusive) and bytes. */
  unconfirmed: { end: number; bytes: number }[];
  /** the offset of the last end-of-partition notice, -1 before the first. */
  endNoticeAt: number;
  /** high watermark − next offset at the last fetch. */
  lag: number;
}

/** The consumer actor's state. */
export interface ConsumerState {
  config: ConsumerConfig;
  epoch: string;
  client: Consumer;
  fetcher: PartitionFetcher;
  /** the group offsets are committed to. */
  groupId: string;
  admin: Promise<BrokerAdmin> | null;
  /** the downstream's confirmed positions, once it answered `hello`. */
  continueFrom: Map<string, number> | null;
  partitions: Map<string, PartitionState>;
  confirmed: Map<string, Position>;
  commitTimer: ReturnType<typeof setTimeout> | undefined;
  /** a commit is under way: never two at once. */
  committing: boolean;
  wakeups: (() => void)[];
  stopped: boolean;
  stats: Omit<ConsumerStats, "lag">;
}

/** The key of a topic-partition in the state's maps. */
export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The state of a partition about to be read from a new position: nothing delivered, no notice yet. */
export function freshPartition(): PartitionState {
  return { unconfirmed: [], endNoticeAt: -1, lag: 0 };
}

/** Tells the downstream that a partition's records up to `offset` were all delivered; once per offset. */
export function notifyEnd(state: ConsumerState, ctx: ConsumerCtx, topic: string, partition: number, offset: number) {
  const ps = state.partitions.get(partitionKey(topic, partition));
  if (!ps || ps.endNoticeAt === offset) return;
  ps.endNoticeAt = offset;
  ctx.port("batches").post({ type: "endOfPartition", topic, partition, offset });
}
