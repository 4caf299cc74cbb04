/** The histogrammer benchmark's sender: ev44 messages through a ProducerOutbox. Speaks protocols/histogrammer.ts. */
import { ProducerOutbox } from "../../../actors/broker/outbox.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";
import type { Ev44SenderProtocol } from "../../../protocols/histogrammer.ts";
import { ev44 } from "../../../schemas/ev44/codec.ts";

export default defineActor<Ev44SenderProtocol, undefined, { outbox: ProducerOutbox }>({
  init: (_config, ctx) => ({ outbox: new ProducerOutbox(ctx.port("records"), { retain: false }) }),
  requests: {
    async run(state, { topic, messages, events }) {
      let seed = 7;
      const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
      const tof = Int32Array.from({ length: events }, () => Math.floor(next() * 71_000_000));
      const det = Int32Array.from({ length: events }, () => 1 + Math.floor(next() * 16384));
      const failedBefore = state.outbox.stats.failed;
      const t0 = performance.now();
      for (let m = 0; m < messages; m++) {
        if (state.outbox.full) await state.outbox.ready();
        const value = ev44.encode({
          source_name: "bench",
          message_id: m,
          reference_time: [BigInt(Date.now()) * 1_000_000n],
          reference_time_index: [0],
          time_of_flight: tof,
          pixel_id: det,
        });
        state.outbox.send({ topic, value });
      }
      await state.outbox.drained();
      return { ms: performance.now() - t0, failed: state.outbox.stats.failed - failedBefore };
    },
  },
});
