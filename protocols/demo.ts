/**
 * The demo role's protocols: a synthetic detector produces ev44 messages to Kafka through the producer actor, and a
 * counter reads them back through the consumer actor and reports rates.
 *
 * @module
 */
import type { ConsumerLink, ProducerLink } from "./broker.ts";
import type { None } from "./runtime.ts";

/** Figures of the synthetic detector. */
export interface SourceStats {
  pulses: number;
  events: number;
  /** pulses not produced because too many bytes were waiting for Kafka (a detector cannot wait). */
  droppedPulses: number;
  /** messages acknowledged by Kafka. */
  acked: number;
}

/** The synthetic detector: one ev44 message per pulse, through its `records` channel to the producer actor. */
export interface SourceProtocol {
  in: { type: "setRate"; eventsPerPulse: number };
  requests: { stats: { request: null; reply: SourceStats } };
  out: None;
  ports: { records: ProducerLink };
}

/** A rate report of the counter. */
export interface CounterReport {
  type: "report";
  /** events counted since the counter (re)started. */
  events: number;
  /** ev44 messages counted. */
  messages: number;
  /** records that were not valid ev44 messages (counted and skipped). */
  rejected: number;
  /** events per second over the last report interval. */
  eventsPerSecond: number;
  /** the pixel that saw most events, and how many. */
  busiestPixel: { id: number; events: number };
  meanTimeOfFlightMs: number;
  /** mean time from a pulse to its events being counted, over the last interval (detector → Kafka → here). */
  meanLatencyMs: number;
}

/** The counter: histograms events by pixel from the `batches` channel of the consumer actor, and reports rates. */
export interface CounterProtocol {
  in: None;
  requests: { report: { request: null; reply: CounterReport } };
  out: CounterReport;
  ports: { batches: ConsumerLink };
}
