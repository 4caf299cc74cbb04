/**
 * A test actor on the far side of Kafka from the system under test (the forwarder, the file writer): produces records
 * (commands, data, junk) through a producer actor (channel `records`) and collects what a consumer actor reads from
 * the output topics (channel `batches`), so the tests can check them with the real codecs.
 */
import { ConsumerInbox } from "../../../actors/broker/inbox.ts";
import { ProducerOutbox } from "../../../actors/broker/outbox.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";
import type { ConsumerLink, ProducerLink } from "../../../protocols/broker.ts";
import type { None } from "../../../protocols/runtime.ts";

/** One record as read back. */
export interface Seen {
  topic: string;
  key: string;
  timestampMs: number;
  value: Uint8Array;
}

/** The probe's protocol. */
export interface ProbeProtocol {
  in: None;
  requests: {
    /** produces one record and replies once Kafka acknowledged it. */
    produce: { request: { topic: string; value: Uint8Array; partition?: number; timestampMs?: number }; reply: null };
    /** produces several records in order and replies once Kafka acknowledged them all. */
    produceMany: {
      request: { topic: string; value: Uint8Array; partition?: number; timestampMs?: number }[];
      reply: null;
    };
    /** every record read so far (copies: replies transfer their buffers). */
    seen: { request: null; reply: Seen[] };
  };
  out: None;
  ports: { records: ProducerLink; batches: ConsumerLink };
}

interface State {
  outbox: ProducerOutbox;
  seen: Seen[];
}

const decoder = new TextDecoder();

export default defineActor<ProbeProtocol, undefined, State>({
  init(_config, ctx) {
    const state: State = { outbox: new ProducerOutbox(ctx.port("records")), seen: [] };
    new ConsumerInbox(ctx.port("batches"), {
      onBatch(batch) {
        for (const r of batch.records) {
          state.seen.push({
            topic: batch.topic,
            key: r.key ? decoder.decode(r.key) : "",
            timestampMs: r.timestampMs,
            value: r.value.slice(),
          });
        }
      },
    });
    return state;
  },
  requests: {
    async produce(state, { topic, value, partition, timestampMs }) {
      state.outbox.send({ topic, value, partition, timestampMs });
      await state.outbox.drained();
      return null;
    },
    async produceMany(state, records) {
      for (const r of records) {
        await state.outbox.ready();
        state.outbox.send(r);
      }
      await state.outbox.drained();
      return null;
    },
    seen: (state) => state.seen.map((s) => ({ ...s, value: s.value.slice() })),
  },
});
