/**
 * The synthetic detector of the demo role: every pulse (14 Hz by default, as at ESS) it draws events, a pixel id and
 * a time of flight each, from a seeded generator, serialises them as one ev44 message and hands it to the producer
 * actor through a `ProducerOutbox` (re-sent after a producer crash, so nothing acknowledged-or-pending is lost).
 * When too many bytes wait for Kafka, the pulse is dropped and counted: a detector cannot wait.
 * Speaks protocols/demo.ts. Restart: permanent.
 *
 * @module
 */
import type { SourceProtocol } from "../../protocols/demo.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { defineActor } from "../runtime/actor.ts";
import { seededRandom } from "../common/seeded_random.ts";

/** Configuration of the synthetic detector. */
export interface SourceConfig {
  pulseHz: number;
  eventsPerPulse: number;
  pixels: number;
  seed: number;
  topic: string;
  sourceName: string;
}

interface State {
  config: SourceConfig;
  random: () => number;
  outbox: ProducerOutbox;
  pulses: number;
  events: number;
  droppedPulses: number;
}

function pulse(state: State): void {
  const { eventsPerPulse: n, pixels, pulseHz, topic, sourceName } = state.config;
  const nowMs = Date.now();
  state.pulses++;
  if (state.outbox.full) {
    state.droppedPulses++;
    return;
  }
  const pixelId = new Int32Array(n);
  const timeOfFlight = new Int32Array(n);
  const periodNs = 1e9 / pulseHz;
  for (let i = 0; i < n; i++) {
    pixelId[i] = 1 + Math.floor(state.random() ** 2 * pixels);
    timeOfFlight[i] = Math.floor(((state.random() + state.random() + state.random()) / 3) * periodNs);
  }
  const value = ev44.encode({
    source_name: sourceName,
    message_id: state.pulses,
    reference_time: [BigInt(nowMs) * 1_000_000n],
    reference_time_index: [0],
    time_of_flight: timeOfFlight,
    pixel_id: pixelId,
  });
  state.events += n;
  state.outbox.send({ topic, key: sourceName, value, timestampMs: nowMs });
}

export default defineActor<SourceProtocol, SourceConfig, State>({
  init(config, ctx) {
    const state: State = {
      config: { ...config },
      random: seededRandom(config.seed),
      outbox: new ProducerOutbox(ctx.port("records"), { maxBytesInFlight: 64 << 20 }),
      pulses: 0,
      events: 0,
      droppedPulses: 0,
    };
    setInterval(() => pulse(state), 1000 / config.pulseHz);
    return state;
  },
  handle(state, msg) {
    if (msg.type === "setRate") state.config.eventsPerPulse = msg.eventsPerPulse;
  },
  requests: {
    stats: (s) => ({ pulses: s.pulses, events: s.events, droppedPulses: s.droppedPulses, acked: s.outbox.stats.acked }),
  },
});
