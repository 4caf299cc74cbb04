/** A test actor that sends records to the producer actor through a ProducerOutbox. Restart: permanent. */
import { ProducerOutbox } from "../../../actors/broker/outbox.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";
import type { Delivery } from "../../../protocols/broker.ts";
import type { KafkaSenderProtocol } from "../broker_protocols.ts";

interface State {
  outbox: ProducerOutbox;
  failures: string[];
  deliveries: Delivery[];
}

const KEEP_DELIVERIES = 1000;

export default defineActor<KafkaSenderProtocol, undefined, State>({
  init(_config, ctx) {
    const state: State = { outbox: new ProducerOutbox(ctx.port("records")), failures: [], deliveries: [] };
    state.outbox.onFailed((ids, error) => state.failures.push(`${ids.length} records: ${error}`));
    state.outbox.onAcked((d) => {
      if (state.deliveries.length < KEEP_DELIVERIES) state.deliveries.push(...d.slice(0, KEEP_DELIVERIES));
    });
    return state;
  },
  handle(state, msg) {
    switch (msg.type) {
      case "produceRun":
        return void run(state, msg);
      case "produceOne":
        state.outbox.send(msg.record);
        return;
    }
  },
  requests: {
    stats: (state) => ({ ...state.outbox.stats, failures: state.failures, deliveries: state.deliveries }),
  },
});

async function run(state: State, m: Extract<KafkaSenderProtocol["in"], { type: "produceRun" }>): Promise<void> {
  const first = m.first ?? 0;
  for (let i = first; i < first + m.count; i++) {
    if (state.outbox.full) await state.outbox.ready();
    const value = new Uint8Array(Math.max(4, m.recordBytes));
    new DataView(value.buffer).setUint32(0, i, true);
    state.outbox.send({
      topic: m.topic,
      value,
      key: m.keys ? `k${i % m.keys}` : undefined,
      timestampMs: m.timestampMs === undefined ? undefined : m.timestampMs + i,
    });
  }
}
