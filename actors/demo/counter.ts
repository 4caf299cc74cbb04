/**
 * The counter of the demo role: reads ev44 messages from the consumer actor (through a `ConsumerInbox`, which
 * confirms each batch once counted, so a consumer restart resumes where counting stopped), histograms the events by
 * pixel, and emits a rate report at a fixed interval. Records that are not valid ev44 are counted and skipped.
 * Speaks protocols/demo.ts. Restart: permanent.
 *
 * @module
 */
import type { ConsumedRecord } from "../../protocols/broker.ts";
import type { CounterProtocol, CounterReport } from "../../protocols/demo.ts";
import { BadBufferError } from "../../schemas/errors.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import { ConsumerInbox } from "../broker/inbox.ts";
import { defineActor } from "../runtime/actor.ts";

/** Configuration of the counter. */
export interface CounterConfig {
  pixels: number;
  reportIntervalMs: number;
}

interface State {
  byPixel: Uint32Array;
  events: number;
  messages: number;
  rejected: number;
  tofSumNs: number;
  latencySumMs: number;
  latencyCount: number;
  lastEvents: number;
  lastTime: number;
}

function count(state: State, record: ConsumedRecord): void {
  let message;
  try {
    message = ev44.decode(record.value);
  } catch (error) {
    if (!(error instanceof BadBufferError)) throw error;
    state.rejected++;
    return;
  }
  const pixels = message.pixel_id ?? new Int32Array(0);
  const tof = message.time_of_flight ?? new Int32Array(0);
  for (let i = 0; i < pixels.length; i++) {
    if (pixels[i] > 0 && pixels[i] < state.byPixel.length) state.byPixel[pixels[i]]++;
    state.tofSumNs += tof[i] ?? 0;
  }
  state.events += pixels.length;
  state.messages++;
  if (message.reference_time.length) {
    state.latencySumMs += Date.now() - Number(message.reference_time[0] / 1_000_000n);
    state.latencyCount++;
  }
}

function report(state: State): CounterReport {
  const now = performance.now();
  const seconds = Math.max((now - state.lastTime) / 1000, 1e-9);
  const eventsPerSecond = Math.round((state.events - state.lastEvents) / seconds);
  const meanLatencyMs = state.latencyCount ? state.latencySumMs / state.latencyCount : 0;
  state.lastEvents = state.events;
  state.lastTime = now;
  state.latencySumMs = state.latencyCount = 0;
  let id = 0;
  for (let p = 1; p < state.byPixel.length; p++) if (state.byPixel[p] > state.byPixel[id]) id = p;
  return {
    type: "report",
    events: state.events,
    messages: state.messages,
    rejected: state.rejected,
    eventsPerSecond,
    busiestPixel: { id, events: state.byPixel[id] },
    meanTimeOfFlightMs: state.events ? state.tofSumNs / state.events / 1e6 : 0,
    meanLatencyMs,
  };
}

export default defineActor<CounterProtocol, CounterConfig, State>({
  init(config, ctx) {
    const state: State = {
      byPixel: new Uint32Array(config.pixels + 1),
      events: 0,
      messages: 0,
      rejected: 0,
      tofSumNs: 0,
      latencySumMs: 0,
      latencyCount: 0,
      lastEvents: 0,
      lastTime: performance.now(),
    };
    new ConsumerInbox(ctx.port("batches"), {
      onBatch: (batch) => batch.records.forEach((r) => count(state, r)),
    });
    setInterval(() => ctx.emit(report(state)), config.reportIntervalMs);
    return state;
  },
  requests: {
    report: (state) => report(state),
  },
});
