/** The consume benchmark's receiver: counts records from the consumer actor. Speaks protocols/broker.ts. */
import { ConsumerInbox } from "../../../actors/broker/inbox.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";
import type { BenchReceiverProtocol } from "../../../protocols/bench.ts";

interface State {
  t0: number;
  records: number;
  bytes: number;
  inbox: ConsumerInbox;
}

export default defineActor<BenchReceiverProtocol, undefined, State>({
  init(_config, ctx) {
    const state = { t0: performance.now(), records: 0, bytes: 0 } as State;
    state.inbox = new ConsumerInbox(ctx.port("batches"), {
      onBatch(batch) {
        state.records += batch.records.length;
        for (const r of batch.records) state.bytes += r.value.byteLength;
      },
    });
    return state;
  },
  requests: {
    async waitFor(state, { records }) {
      while (state.records < records) await new Promise((r) => setTimeout(r, 5));
      return { ms: performance.now() - state.t0, bytes: state.bytes };
    },
  },
});
