/** A test actor that receives the consumer actor's batches through a ConsumerInbox and summarises them. */
import { ConsumerInbox, type InboxBatch } from "../../../actors/broker/inbox.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";
import type { KafkaReceiverConfig, KafkaReceiverProtocol, PartitionSeen } from "../broker_protocols.ts";

interface State {
  inbox: ConsumerInbox;
  seen: Uint8Array;
  records: number;
  distinct: number;
  duplicates: number;
  partitions: Map<string, PartitionSeen & { keySet: Set<string> }>;
  large: { bytes: number; sum: number; timestampMs: number }[];
}

const decoder = new TextDecoder();

export default defineActor<KafkaReceiverProtocol, KafkaReceiverConfig, State>({
  init(config, ctx) {
    const state = {
      seen: new Uint8Array(config.expect),
      records: 0,
      distinct: 0,
      duplicates: 0,
      partitions: new Map(),
      large: [],
    } as unknown as State;
    state.inbox = new ConsumerInbox(ctx.port("batches"), {
      onBatch: (batch) => receive(state, batch),
      onEndOfPartition: (topic, partition, offset) => {
        partitionOf(state, topic, partition, offset).endOfPartition = offset;
      },
    });
    return state;
  },
  requests: {
    summary: (state) => ({
      records: state.records,
      distinct: state.distinct,
      duplicates: state.duplicates,
      partitions: [...state.partitions.values()].map(({ keySet, ...p }) => ({ ...p, keys: [...keySet].sort() })),
      large: state.large,
      staleBatches: state.inbox.staleBatches,
    }),
  },
});

function partitionOf(state: State, topic: string, partition: number, first: number) {
  const k = `${topic}/${partition}`;
  let p = state.partitions.get(k);
  if (!p) {
    p = {
      topic,
      partition,
      first,
      next: first,
      records: 0,
      repeated: 0,
      gaps: 0,
      keys: [],
      keySet: new Set(),
      endOfPartition: null,
    };
    state.partitions.set(k, p);
  }
  return p;
}

function receive(state: State, batch: InboxBatch): void {
  const p = partitionOf(state, batch.topic, batch.partition, batch.records[0].offset);
  for (const r of batch.records) {
    state.records++;
    p.records++;
    if (r.offset < p.next) p.repeated++;
    else if (r.offset > p.next) p.gaps++;
    p.next = Math.max(p.next, r.offset + 1);
    if (r.key) p.keySet.add(decoder.decode(r.key));
    if (r.value.byteLength > 1024 * 1024) {
      let sum = 0;
      for (let i = 0; i < r.value.length; i++) sum = (sum + r.value[i]) >>> 0;
      state.large.push({ bytes: r.value.byteLength, sum, timestampMs: r.timestampMs });
    }
    if (r.value.byteLength >= 4) {
      const index = new DataView(r.value.buffer, r.value.byteOffset, 4).getUint32(0, true);
      if (index < state.seen.length) {
        if (state.seen[index]) state.duplicates++;
        else state.distinct++;
        state.seen[index] = 1;
      }
    }
  }
}
