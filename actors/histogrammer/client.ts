/**
 * The client actor of `nxflow histogrammer --send`: produces one command to the config topic (through its producer,
 * `records` channel) and keeps the texts its consumer reads from the response topic (`batches` channel) for the
 * command line to look through. Speaks ClientProtocol (protocols/histogrammer.ts).
 *
 * @module
 */
import type { ClientProtocol } from "../../protocols/histogrammer.ts";
import { ConsumerInbox } from "../broker/inbox.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { defineActor } from "../runtime/actor.ts";

interface State {
  outbox: ProducerOutbox;
  responses: string[];
  failed: string | undefined;
}

const decoder = new TextDecoder();

export default defineActor<ClientProtocol, undefined, State>({
  init(_config, ctx) {
    const state: State = { outbox: new ProducerOutbox(ctx.port("records")), responses: [], failed: undefined };
    state.outbox.onFailed((_ids, error) => state.failed = error);
    new ConsumerInbox(ctx.port("batches"), {
      onBatch(batch) {
        for (const r of batch.records) state.responses.push(decoder.decode(r.value));
      },
    });
    return state;
  },
  requests: {
    async send(state, { topic, text }) {
      state.outbox.send({ topic, value: new TextEncoder().encode(text) });
      await state.outbox.drained();
      return state.failed === undefined ? {} : { error: state.failed };
    },
    responses: (state) => state.responses,
  },
});
