/**
 * The demo role's protocols: a synthetic detector streams neutron event batches to a counter over a direct channel.
 *
 * @module
 */
import type { None } from "./runtime.ts";

/** One pulse's neutron events; both arrays are transferred, never copied. */
export interface EventBatch {
  type: "events";
  /** pulse time, ns since the Unix epoch (as a double: the demo needs no more). */
  pulseTimeNs: number;
  pixelId: Uint32Array;
  /** time of flight relative to the pulse, ns. */
  timeOfFlightNs: Int32Array;
}

/** Figures of the synthetic detector. */
export interface SourceStats {
  pulses: number;
  events: number;
}

/** The synthetic detector: one event batch per pulse on its `events` channel. */
export interface SourceProtocol {
  in: { type: "setRate"; eventsPerPulse: number };
  requests: { stats: { request: null; reply: SourceStats } };
  out: None;
  ports: { events: EventBatch };
}

/** A rate report of the counter. */
export interface CounterReport {
  type: "report";
  /** events counted since the counter (re)started. */
  events: number;
  pulses: number;
  /** events per second over the last report interval. */
  eventsPerSecond: number;
  /** the pixel that saw most events, and how many. */
  busiestPixel: { id: number; events: number };
  meanTimeOfFlightMs: number;
}

/** The counter: histograms events by pixel and reports rates. */
export interface CounterProtocol {
  in: None;
  requests: { report: { request: null; reply: CounterReport } };
  out: CounterReport;
  ports: { events: EventBatch };
}
