/**
 * The synthetic detector of the demo role: every pulse (14 Hz by default, as at ESS) it draws events, a pixel id
 * and a time of flight each, from a seeded generator and posts them as one batch on its `events` channel.
 * Speaks protocols/demo.ts. Restart: permanent.
 *
 * @module
 */
import type { SourceProtocol } from "../../protocols/demo.ts";
import { defineActor } from "../runtime/actor.ts";

/** Configuration of the synthetic detector. */
export interface SourceConfig {
  pulseHz: number;
  eventsPerPulse: number;
  pixels: number;
  seed: number;
}

interface State {
  config: SourceConfig;
  random: () => number;
  pulses: number;
  events: number;
}

/** A small seeded generator (mulberry32), so that runs can be repeated. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pulse(state: State, post: (pixelId: Uint32Array, tof: Int32Array, t: number) => void): void {
  const { eventsPerPulse: n, pixels, pulseHz } = state.config;
  const pixelId = new Uint32Array(n);
  const tof = new Int32Array(n);
  const periodNs = 1e9 / pulseHz;
  for (let i = 0; i < n; i++) {
    pixelId[i] = 1 + Math.floor(state.random() ** 2 * pixels);
    const u = state.random() + state.random() + state.random();
    tof[i] = Math.floor((u / 3) * periodNs);
  }
  state.pulses++;
  state.events += n;
  post(pixelId, tof, Date.now() * 1e6);
}

export default defineActor<SourceProtocol, SourceConfig, State>({
  init(config, ctx) {
    const state: State = { config: { ...config }, random: seeded(config.seed), pulses: 0, events: 0 };
    const events = ctx.port("events");
    setInterval(() => {
      pulse(state, (pixelId, timeOfFlightNs, pulseTimeNs) => {
        events.post({ type: "events", pulseTimeNs, pixelId, timeOfFlightNs });
      });
    }, 1000 / config.pulseHz);
    return state;
  },
  handle(state, msg) {
    if (msg.type === "setRate") state.config.eventsPerPulse = msg.eventsPerPulse;
  },
  requests: {
    stats: (state) => ({ pulses: state.pulses, events: state.events }),
  },
});
