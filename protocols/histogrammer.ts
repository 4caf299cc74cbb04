/**
 * The protocols of the histogrammer role (`actors/histogrammer/`): live histograms of neutron events, configured by
 * ESS just-bin-it's JSON commands. Types only.
 *
 * @module
 */
import type { ConnectionOptions, ConsumerLink, Position, ProducerLink } from "./broker.ts";
import type { None } from "./runtime.ts";

/** The four histogram types of just-bin-it. */
export type HistogramType = "hist1d" | "hist2d" | "dethist" | "roihist";

/** The input schemas a histogram reads. */
export type InputSchema = "ev44" | "ev42";

/** The output schemas a histogram is published in. */
export type OutputSchema = "hs01" | "hs00" | "da00";

/** One checked histogram entry of a `config` command (just-bin-it's keys, in camelCase where they are ours). */
export interface HistogramSpec {
  type: HistogramType;
  /** `host:port` of the brokers holding the data (the histogram's consumer and producer use them). */
  dataBrokers: string[];
  dataTopics: string[];
  /** output topic. */
  topic: string;
  /** only messages with this `source_name` are counted; all when empty. */
  source: string;
  /** the histogram's id in its `info` JSON; `""` when none was given. */
  id: string;
  /** hist1d, hist2d: [lo, hi], both ends inclusive (numpy's convention). */
  tofRange?: [number, number];
  /** hist1d (optional), hist2d: [lo, hi] inclusive; dethist: the first id is `detRange[0]`. */
  detRange?: [number, number];
  /** hist1d: [n]; hist2d: [n_tof, n_det]. */
  numBins?: number[];
  /** dethist: pixels per row; roihist: pixels per region row. */
  width?: number;
  /** dethist: rows. */
  height?: number;
  /** roihist: the first id of each region row. */
  leftEdges?: number[];
}

/** What one group of histograms over the same input counts: run by one consumer and one binner. */
export interface BinnerConfig {
  connection: ConnectionOptions;
  input: InputSchema;
  output: OutputSchema;
  histograms: HistogramSpec[];
  /** Kafka timestamps (ms) before this are skipped; the consumer starts here. */
  startMs: number;
  /** Kafka timestamps (ms) after this finish the histograms; null: open-ended. */
  stopMs: number | null;
  /** whether `start` / `stop` appear in the info JSON (given in the command, or from `interval`). */
  showStart: boolean;
  showStop: boolean;
  /** publishing period. */
  publishMs: number;
  /** wall-clock leeway after `stopMs` with no data before finishing. @default 5000 */
  leewayMs?: number;
  /**
   * the input's partitions (filled in by the manager): with no data past `stopMs` the binner finishes by the wall
   * clock only once its consumer reached the end of every one of them (not just of the first to be read).
   */
  partitions?: { topic: string; partition: number }[];
  /** why this input cannot be counted: the binner publishes ERROR once and finishes (the run has no consumer). */
  error?: string;
}

/** Figures of a binner. */
export interface BinnerStats {
  messages: number;
  events: number;
  /** data messages that could not be decoded (skipped, as just-bin-it does). */
  undecodable: number;
  /** records outside [start, stop]. */
  outsideWindow: number;
  /** records seen again after a consumer restart, recognised by their offsets and skipped. */
  duplicates: number;
  published: number;
  /** wall-clock ms when the first and the newest message were counted (0: none yet). */
  firstCountedMs: number;
  lastCountedMs: number;
  state: "INITIALISED" | "COUNTING" | "FINISHED" | "ERROR";
}

/** A binner (`actors/histogrammer/binner.ts`): bins the events of one input for all its histograms. */
export interface BinnerProtocol {
  in:
    | { type: "reset" }
    /** the answer to `hello`: records before these positions were removed by a reset and are not counted. */
    | { type: "restore"; resetAt: Position[] };
  requests: {
    /** publishes the final (FINISHED) histograms, waits for Kafka's acknowledgement and replies. */
    finish: { request: null; reply: null };
    stats: { request: null; reply: BinnerStats };
  };
  out:
    /** a new incarnation waits for `restore` before it counts. */
    | { type: "hello" }
    /** a reset happened at these positions (the next offset of each partition); the manager keeps them. */
    | { type: "resetAt"; positions: Position[] }
    /** the histograms finished on their own (stop time passed); the manager removes the run. */
    | { type: "finished" }
    | { type: "log"; level: "info" | "warn" | "error"; message: string };
  ports: { batches: ConsumerLink; records: ProducerLink };
}

/** A checked `config` command, split into what each binner runs. */
export interface RunPlan {
  binners: BinnerConfig[];
}

/** Figures of the command actor. */
export interface ControlStats {
  commands: number;
  acked: number;
  /** commands refused (bad JSON, unknown command or histogram type, bad values). */
  rejected: number;
  heartbeats: number;
}

/** Configuration of the command actor. */
export interface ControlConfig {
  /** the role's connection; a histogram's consumer and producer use it with the histogram's `data_brokers`. */
  connection: ConnectionOptions;
  responseTopic: string | null;
  heartbeatTopic: string | null;
  heartbeatMs: number;
  serviceId: string;
  version: string;
  publishMs: number;
}

/** The command actor (`actors/histogrammer/control.ts`): reads the config topic, answers, beats. */
export interface ControlProtocol {
  in: None;
  requests: { stats: { request: null; reply: ControlStats } };
  out:
    | { type: "run"; plan: RunPlan }
    | { type: "reset" }
    | { type: "stop" }
    | { type: "log"; level: "info" | "warn" | "error"; message: string };
  ports: { batches: ConsumerLink; records: ProducerLink };
}

/** The histogrammer benchmark's sender (`scripts/bench/support/ev44_sender.ts`): produces ev44 through an outbox. */
export interface Ev44SenderProtocol {
  in: None;
  requests: {
    /** produces `messages` ev44 messages of `events` random events each; replies once all are acknowledged. */
    run: { request: { topic: string; messages: number; events: number }; reply: { ms: number; failed: number } };
  };
  out: None;
  ports: { records: ProducerLink };
}

/** The client actor of `nxflow histogrammer --send` (`actors/histogrammer/client.ts`). */
export interface ClientProtocol {
  in: None;
  requests: {
    /** produces one command text; replies once Kafka acknowledged it (or with the reason it could not). */
    send: { request: { topic: string; text: string }; reply: { error?: string } };
    /** the texts read from the response topic so far. */
    responses: { request: null; reply: string[] };
  };
  out: None;
  ports: { records: ProducerLink; batches: ConsumerLink };
}
