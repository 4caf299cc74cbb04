/**
 * Pieces of the consumer actor that touch kafkajs's types: packing a fetched batch into one transferable buffer, and
 * the partition assigner of `assign` mode.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { AssignerProtocol, type KafkaMessage, type PartitionAssigner } from "kafkajs";
import type { ConsumedRecord } from "../../protocols/broker.ts";

/**
 * Copies the keys and values of a batch into one new buffer (kafkajs's own buffers may share pooled memory and
 * cannot be transferred), and returns the records as views into it.
 */
export function packBatch(messages: KafkaMessage[]): { records: ConsumedRecord[]; bytes: number } {
  let bytes = 0;
  for (const m of messages) bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
  const buffer = new Uint8Array(bytes);
  let at = 0;
  const place = (b: Buffer): Uint8Array => {
    buffer.set(b, at);
    at += b.length;
    return buffer.subarray(at - b.length, at);
  };
  const records = messages.map((m): ConsumedRecord => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    return {
      offset: Number(m.offset),
      timestampMs: Number(m.timestamp),
      key: m.key ? place(m.key) : null,
      value: m.value ? place(m.value) : buffer.subarray(at, at),
      headers,
    };
  });
  return { records, bytes };
}

/**
 * An assigner that gives the first member of the group the wanted partitions of each topic (all of them when the
 * list is `null`), and the others nothing: `assign` mode, where this actor is its group's only member.
 */
export function fixedAssigner(wanted: Map<string, number[] | null>): PartitionAssigner {
  const name = "NxflowFixedAssigner";
  return ({ cluster }) => ({
    name,
    version: 1,
    assign({ members, topics }) {
      const assignment: Record<string, number[]> = {};
      for (const topic of topics) {
        const all = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
        const list = wanted.get(topic);
        assignment[topic] = list ? all.filter((p) => list.includes(p)) : all;
      }
      const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
      return Promise.resolve(sorted.map((m, i) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? assignment : {},
          userData: Buffer.alloc(0),
        }),
      })));
    },
    protocol({ topics }) {
      return {
        name,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}
