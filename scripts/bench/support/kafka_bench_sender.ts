/** The produce benchmark's sender: runs of equal records through a ProducerOutbox. Speaks protocols/broker.ts. */
import { ProducerOutbox } from "../../../actors/broker/outbox.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";
import type { BenchSenderProtocol } from "../../../protocols/bench.ts";

export default defineActor<BenchSenderProtocol, undefined, { outbox: ProducerOutbox }>({
  init: (_config, ctx) => ({ outbox: new ProducerOutbox(ctx.port("records")) }),
  requests: {
    async run(state, { topic, count, recordBytes }) {
      const value = new Uint8Array(recordBytes).map((_, i) => (i * 31) & 255);
      const failedBefore = state.outbox.stats.failed;
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        if (state.outbox.full) await state.outbox.ready();
        state.outbox.send({ topic, value });
      }
      await state.outbox.drained();
      return { ms: performance.now() - t0, failed: state.outbox.stats.failed - failedBefore };
    },
  },
});
