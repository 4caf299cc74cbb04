/**
 * The fetch loop behind the consumer actor, the command-topic listener and the short-lived readers: reads a set of
 * partitions from their leaders with Kafka Fetch requests, each from the position it is given, and hands each
 * partition's records on as one batch. No consumer group is needed (callers that are group members tell it which
 * partitions they were assigned).
 *
 * - A partition whose leader moved, or whose topic the metadata does not know yet, is fetched again after the
 *   metadata is refreshed; an offset out of range moves to the nearest end of the log.
 * - A failure to reach the cluster is reported through `onError` and retried with backoff, never thrown.
 * - Each round's records are handed on while the next round fetches; `onBatch` may return a promise, and the round
 *   after that waits for it (back-pressure). A paused fetcher fetches nothing.
 *
 * @module
 */
import type { Consumer } from "@platformatic/kafka";
import { causeOf, kafkaErrorIds } from "./errors.ts";

/** One record as the library parsed it: key and value are views into its buffers. */
export interface FetchedRecord {
  offset: number;
  timestampMs: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: [Uint8Array | null, Uint8Array | null][];
}

/** The records of one partition from one fetch, in offset order. */
export interface FetchedBatch {
  topic: string;
  partition: number;
  records: FetchedRecord[];
  /** the next offset to fetch (past control records too). */
  next: number;
  highWatermark: number;
}

/** What a fetcher does with what it reads. */
export interface FetcherOptions {
  /** @default 10485760 */
  maxBytesPerPartition?: number;
  /** @default 268435456 */
  maxBytes?: number;
  /** how long the broker may wait for data. @default 250 */
  maxWaitMs?: number;
  onBatch(batch: FetchedBatch): void | Promise<void>;
  /** the cluster could not be reached, or a partition failed in a way that is retried; `attempts` in a row. */
  onError?(why: string, attempts: number): void;
  /** a fetch succeeded after errors. */
  onRecovered?(): void;
}

/** Reads partitions; see the module doc. */
export class PartitionFetcher {
  #next = new Map<string, { topic: string; partition: number; offset: number }>();
  #paused = false;
  #stopped = false;
  #wake: (() => void) | null = null;
  #failures = 0;
  #loop: Promise<void> | null = null;
  /** the previous round's hand-on, under way while the next fetch is: rounds hand on in order. */
  #handing: Promise<void> = Promise.resolve();

  constructor(readonly client: Consumer, readonly options: FetcherOptions) {}

  /** Reads `partition` of `topic` from `offset` on (adds it, or moves it). */
  set(topic: string, partition: number, offset: number): void {
    this.#next.set(`${topic}\u0000${partition}`, { topic, partition, offset });
    this.#poke();
  }

  /** Stops reading a partition. */
  remove(topic: string, partition: number): void {
    this.#next.delete(`${topic}\u0000${partition}`);
  }

  /** Whether the partition is read. */
  has(topic: string, partition: number): boolean {
    return this.#next.has(`${topic}\u0000${partition}`);
  }

  set paused(paused: boolean) {
    this.#paused = paused;
    this.#poke();
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Starts the loop (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Ends the loop after the fetch under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#poke();
    await this.#loop;
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    let refresh = false;
    while (!this.#stopped) {
      if (this.#paused || this.#next.size === 0) {
        await this.#idle(1000);
        continue;
      }
      try {
        refresh = await this.#round(refresh);
        if (this.#failures > 0) this.options.onRecovered?.();
        this.#failures = 0;
      } catch (error) {
        refresh = true;
        await this.#handing;
        this.#failures++;
        this.options.onError?.(causeOf(error), this.#failures);
        await this.#idle(Math.min(10_000, 100 * 2 ** Math.min(this.#failures, 7)));
      }
    }
    await this.#handing;
  }

  /**
   * One fetch from every leader; the records are handed on while the next round fetches. Returns whether the
   * metadata must be refreshed before the next.
   */
  async #round(refresh: boolean): Promise<boolean> {
    const wanted = [...this.#next.values()];
    const topics = [...new Set(wanted.map((w) => w.topic))];
    const metadata = await this.client.metadata({ topics, forceUpdate: refresh });
    const byNode = new Map<number, typeof wanted>();
    const names = new Map<string, string>();
    let stale = false;
    for (const w of wanted) {
      const t = metadata.topics.get(w.topic);
      const leader = t?.partitions[w.partition]?.leader ?? -1;
      if (!t || leader < 0) {
        stale = true;
        continue;
      }
      names.set(t.id, w.topic);
      const list = byNode.get(leader) ?? [];
      list.push(w);
      byNode.set(leader, list);
    }
    const results = await Promise.all([...byNode].map(([node, list]) => this.#fetchFrom(node, list, metadata)));
    const batches: { batch: FetchedBatch; position: object }[] = [];
    for (const r of results) stale ||= this.#collect(r, names, batches);
    const previous = this.#handing;
    this.#handing = previous.then(() => this.#handOn(batches));
    await previous; // at most one round's records wait beside the fetch under way (back-pressure holds the next)
    if (stale) await this.#idle(100);
    return stale;
  }

  async #fetchFrom(
    node: number,
    list: { topic: string; partition: number; offset: number }[],
    metadata: Awaited<ReturnType<Consumer["metadata"]>>,
  ): Promise<{ response: FetchResponse; requested: Map<string, number> }> {
    const requested = new Map<string, number>();
    const topics = new Map<string, { topicId: string; partitions: FetchPartition[] }>();
    for (const w of list) {
      const id = metadata.topics.get(w.topic)!.id;
      requested.set(`${w.topic}\u0000${w.partition}`, w.offset);
      const entry = topics.get(id) ?? { topicId: id, partitions: [] };
      entry.partitions.push({
        partition: w.partition,
        fetchOffset: BigInt(w.offset),
        partitionMaxBytes: this.options.maxBytesPerPartition ?? 10 * 1024 * 1024,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      });
      topics.set(id, entry);
    }
    try {
      const response = await this.client.fetch({
        node,
        topics: [...topics.values()],
        maxWaitTime: this.options.maxWaitMs ?? 250,
        minBytes: 1,
        maxBytes: this.options.maxBytes ?? 256 * 1024 * 1024,
      });
      return { response: response as FetchResponse, requested };
    } catch (error) {
      // a partition's error fails the request; the others' data is in the response the error carries
      const response = (error as { response?: FetchResponse }).response;
      if (!response || !Array.isArray(response.responses) || kafkaErrorIds(error).length === 0) throw error;
      return { response, requested };
    }
  }

  /** Takes each partition's records and moves its position past them; returns whether some need fresh metadata. */
  #collect(
    r: { response: FetchResponse; requested: Map<string, number> },
    names: Map<string, string>,
    batches: { batch: FetchedBatch; position: object }[],
  ): boolean {
    let stale = false;
    for (const t of r.response.responses) {
      const topic = names.get(t.topicId);
      if (topic === undefined) continue;
      for (const p of t.partitions) {
        const key = `${topic}\u0000${p.partitionIndex}`;
        const from = r.requested.get(key);
        const current = this.#next.get(key);
        // moved (seek) or removed while the fetch was under way: what came is from the old position
        if (from === undefined || !current || current.offset !== from) continue;
        if (p.errorCode !== 0) {
          if (p.errorCode === OFFSET_OUT_OF_RANGE_CODE) {
            current.offset = from < Number(p.logStartOffset) ? Number(p.logStartOffset) : Number(p.highWatermark);
          } else stale = true;
          continue;
        }
        const batch = recordsOf(topic, p, from);
        current.offset = batch.next;
        batches.push({ batch, position: current });
      }
    }
    return stale;
  }

  /**
   * Hands batches on, in order, unless their partition was moved or removed since they were fetched (`set` and
   * `remove` replace a partition's position object).
   */
  async #handOn(batches: { batch: FetchedBatch; position: object }[]): Promise<void> {
    for (const { batch, position } of batches) {
      if (this.#next.get(`${batch.topic}\u0000${batch.partition}`) === position) await this.options.onBatch(batch);
    }
  }
}

/** Kafka's error code of OFFSET_OUT_OF_RANGE. */
const OFFSET_OUT_OF_RANGE_CODE = 1;

interface FetchPartition {
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

interface FetchResponse {
  responses: {
    topicId: string;
    partitions: {
      partitionIndex: number;
      errorCode: number;
      highWatermark: bigint;
      logStartOffset: bigint;
      records?: {
        firstOffset: bigint;
        lastOffsetDelta: number;
        firstTimestamp: bigint;
        attributes: number;
        records: {
          timestampDelta: bigint;
          offsetDelta: number;
          key: Uint8Array | null;
          value: Uint8Array | null;
          headers: [Uint8Array | null, Uint8Array | null][];
        }[];
      }[] | null;
    }[];
  }[];
}

/** A record batch of control records (transaction markers), never handed on. */
const IS_CONTROL = 0x20;

function recordsOf(topic: string, p: FetchResponse["responses"][0]["partitions"][0], from: number): FetchedBatch {
  const records: FetchedRecord[] = [];
  let next = from;
  for (const b of p.records ?? []) {
    const first = Number(b.firstOffset);
    next = Math.max(next, first + b.lastOffsetDelta + 1);
    if (b.attributes & IS_CONTROL) continue;
    const t0 = Number(b.firstTimestamp);
    for (const r of b.records) {
      const offset = first + r.offsetDelta;
      if (offset < from) continue;
      records.push({
        offset,
        timestampMs: t0 + Number(r.timestampDelta),
        key: r.key,
        value: r.value,
        headers: r.headers,
      });
    }
  }
  return { topic, partition: p.partitionIndex, records, next, highWatermark: Number(p.highWatermark) };
}
