/**
 * The counter of the demo role: histograms the events arriving on its `events` channel by pixel and time of
 * flight, and emits a rate report at a fixed interval. Speaks protocols/demo.ts. Restart: permanent.
 *
 * @module
 */
import type { CounterProtocol, CounterReport, EventBatch } from "../../protocols/demo.ts";
import { defineActor } from "../runtime/actor.ts";

/** Configuration of the counter. */
export interface CounterConfig {
  pixels: number;
  reportIntervalMs: number;
}

interface State {
  byPixel: Uint32Array;
  events: number;
  pulses: number;
  tofSumNs: number;
  lastEvents: number;
  lastTime: number;
}

function count(state: State, batch: EventBatch): void {
  const { pixelId, timeOfFlightNs } = batch;
  for (let i = 0; i < pixelId.length; i++) {
    if (pixelId[i] < state.byPixel.length) state.byPixel[pixelId[i]]++;
    state.tofSumNs += timeOfFlightNs[i];
  }
  state.events += pixelId.length;
  state.pulses++;
}

function report(state: State): CounterReport {
  const now = performance.now();
  const seconds = Math.max((now - state.lastTime) / 1000, 1e-9);
  const eventsPerSecond = Math.round((state.events - state.lastEvents) / seconds);
  state.lastEvents = state.events;
  state.lastTime = now;
  let id = 0;
  for (let p = 1; p < state.byPixel.length; p++) if (state.byPixel[p] > state.byPixel[id]) id = p;
  return {
    type: "report",
    events: state.events,
    pulses: state.pulses,
    eventsPerSecond,
    busiestPixel: { id, events: state.byPixel[id] },
    meanTimeOfFlightMs: state.events ? state.tofSumNs / state.events / 1e6 : 0,
  };
}

export default defineActor<CounterProtocol, CounterConfig, State>({
  init(config, ctx) {
    const state: State = {
      byPixel: new Uint32Array(config.pixels + 1),
      events: 0,
      pulses: 0,
      tofSumNs: 0,
      lastEvents: 0,
      lastTime: performance.now(),
    };
    ctx.port("events").onMessage((batch) => count(state, batch));
    setInterval(() => ctx.emit(report(state)), config.reportIntervalMs);
    return state;
  },
  requests: {
    report: (state) => report(state),
  },
});
