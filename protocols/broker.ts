/**
 * The protocols of the broker I/O actors (`actors/broker/`): the Kafka producer actor, the Kafka consumer actor, and
 * the direct channels that connect them to the actors that send and receive records. Types only.
 *
 * Offsets and timestamps are numbers (Kafka's int64 values stay below 2^53 in practice); timestamps are Kafka's
 * milliseconds since the Unix epoch.
 *
 * @module
 */
import type { None } from "./runtime.ts";

/** SASL credentials. The password is never logged nor put into error messages. */
export interface SaslOptions {
  mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  username: string;
  password: string;
}

/** TLS towards the brokers. PEM texts, not file names (actor configurations cross thread boundaries). */
export interface TlsOptions {
  /** CA certificates to trust instead of the system's. */
  ca?: string;
  /** client certificate and key, for brokers that authenticate clients by certificate. */
  cert?: string;
  key?: string;
}

/** How to reach a Kafka cluster. */
export interface ConnectionOptions {
  /** bootstrap servers, `host:port`. */
  brokers: string[];
  /** @default "nxflow" */
  clientId?: string;
  sasl?: SaslOptions;
  /** `true`: TLS with the system's CAs. */
  tls?: boolean | TlsOptions;
  /** @default 3000 */
  connectionTimeoutMs?: number;
  /** @default 30000 */
  requestTimeoutMs?: number;
}

/** One record to produce. `value` (and a binary `key`) are transferred to the producer. */
export interface ProduceRecord {
  topic: string;
  /** explicit partition; by key hash (or spread) when absent. */
  partition?: number;
  key?: string | Uint8Array;
  value: Uint8Array;
  /** Kafka message timestamp (the system uses source timestamps); the producer's clock when absent. */
  timestampMs?: number;
  headers?: Record<string, string>;
}

/** Where Kafka stored a record. */
export interface Delivery {
  id: number;
  topic: string;
  partition: number;
  /** offset of the record; -1 when the broker did not say (batches larger than one record report the base). */
  offset: number;
}

/** Sender → producer, over the `records` channel. */
export type ProducerPortIn =
  /** `epoch` is the producer incarnation the sender addresses; records for an older one are ignored. */
  | { type: "produce"; epoch: string; id: number; record: ProduceRecord }
  /** a new sender (first start or restart) asks the producer to say `hello`. */
  | { type: "attach" };

/** Producer → sender, over the `records` channel. */
export type ProducerPortOut =
  /** a new producer incarnation is ready: re-send everything not yet acknowledged, with this epoch. */
  | { type: "hello"; epoch: string }
  /** Kafka acknowledged these records (acks=all). */
  | { type: "acked"; deliveries: Delivery[] }
  /** these records can never be produced (too large, unknown topic, ...). */
  | { type: "failed"; ids: number[]; error: string };

/** Everything that crosses the `records` channel, both ways. */
export type ProducerLink = ProducerPortIn | ProducerPortOut;

/** Figures of the producer actor. */
export interface ProducerStats {
  received: number;
  acked: number;
  failed: number;
  /** records for an older incarnation that were ignored (the sender re-sends them). */
  staleEpoch: number;
  /** records rejected as invalid at the edge. */
  rejected: number;
  bytesAcked: number;
  requests: number;
  /** records waiting or being sent now. */
  queued: number;
  queuedBytes: number;
  connected: boolean;
}

/** A notice about the producer's connection. */
export type BrokerStatus = {
  type: "brokerStatus";
  connected: boolean;
  /** why it is not connected (broker unreachable, authentication failed, ...). */
  error?: string;
  /** connection attempts that failed in a row. */
  attempts: number;
};

/** The producer actor (`actors/broker/producer.ts`). */
export interface ProducerProtocol {
  in: None;
  requests: { stats: { request: null; reply: ProducerStats } };
  out: BrokerStatus;
  ports: { records: ProducerLink };
}

/** One consumed record; its `value` and `key` are views into the batch's one transferred buffer. */
export interface ConsumedRecord {
  offset: number;
  timestampMs: number;
  key: Uint8Array | null;
  value: Uint8Array;
  headers: Record<string, string>;
}

/** A position: the next offset to read in a partition. */
export interface Position {
  topic: string;
  partition: number;
  offset: number;
}

/** Consumer → downstream, over the `batches` channel. */
export type ConsumerPortOut =
  /** a new consumer incarnation is ready: answer with `continueFrom` (the positions confirmed so far, may be empty). */
  | { type: "hello"; epoch: string }
  | {
    type: "batch";
    epoch: string;
    topic: string;
    partition: number;
    records: ConsumedRecord[];
    /** the partition's high watermark when fetched. */
    highWatermark: number;
  }
  /** everything up to the high watermark has been delivered; sent again after new data was delivered. */
  | { type: "endOfPartition"; topic: string; partition: number; offset: number };

/** Downstream → consumer, over the `batches` channel. */
export type ConsumerPortIn =
  /**
   * a new downstream (first start or restart) asks the consumer to say `hello`; a consumer already running rewinds
   * every partition to its last confirmed position first, since what the old downstream had not confirmed is lost.
   */
  | { type: "attach" }
  /** where to continue: the positions confirmed so far (the answer to `hello`; other partitions start at `start`). */
  | { type: "continueFrom"; positions: Position[] }
  /** everything before `offset` in this partition is done with (processed, written); it is committed. */
  | { type: "confirm"; position: Position }
  /** stop fetching (back-pressure of the downstream), until `resume`. */
  | { type: "pause" }
  | { type: "resume" };

/** Everything that crosses the `batches` channel, both ways. */
export type ConsumerLink = ConsumerPortIn | ConsumerPortOut;

/** Where the consumer starts in a partition nobody confirmed a position for. */
export type StartAt =
  | "beginning"
  | "end"
  /** the group's committed offsets (subscribe mode), else the beginning. */
  | "committed"
  | { timestampMs: number };

/** Figures of the consumer actor. */
export interface ConsumerStats {
  records: number;
  bytes: number;
  batches: number;
  confirmed: number;
  commits: number;
  /** commits that failed and were retried with the next one. */
  commitFailures: number;
  /** bytes delivered downstream and not yet confirmed. */
  unconfirmedBytes: number;
  paused: boolean;
  /** confirm messages rejected as invalid at the edge. */
  rejected: number;
  /** records in Kafka not yet fetched, over every partition read (high watermark − next offset, at the last fetch). */
  lag: number;
}

/** The consumer actor (`actors/broker/consumer.ts`). */
export interface ConsumerProtocol {
  in: { type: "seek"; position: Position } | { type: "pause" } | { type: "resume" };
  requests: { stats: { request: null; reply: ConsumerStats } };
  out: BrokerStatus;
  ports: { batches: ConsumerLink };
}
