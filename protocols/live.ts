/**
 * The live view's protocols (`actors/live/`): the tap actor reads the system's topics (events, EPICS logs, the
 * histogrammer's histograms, the file writer's status) and keeps what the web page shows; it also sends the page's
 * controls (run start/stop to the file writer, histogram config and reset to the histogrammer). Types only.
 *
 * ```text
 * topics ─▶ consumer ─(batches)─▶ tap ─(records)─▶ producer ─▶ writer pool/control, histogrammer commands
 *                                  ▲ view, startRun, stopRun, resetHistograms (requests from the main thread)
 * ```
 *
 * @module
 */
import type { ConnectionOptions, ConsumerLink, ProducerLink } from "./broker.ts";
import type { None } from "./runtime.ts";

/** What the tap reads and where it sends, from the live role's settings. */
export interface TapConfig {
  connection: ConnectionOptions;
  /** ev44/ev42 topics whose messages and events are counted. */
  eventTopics: string[];
  /** f144 logs (one time series per source name). */
  epicsTopic: string;
  /** the histogrammer's output (hs01). */
  histogramTopic: string;
  /** the histogrammer's config topic and response topic. */
  histCommandTopic: string;
  histResponseTopic: string;
  /** the file writer's job pool (pl72), its command status topic (x5f2 when idle) and the runs' control topic. */
  writerPoolTopic: string;
  writerStatusTopic: string;
  writerControlTopic: string;
  /** the nexus_structure JSON text of a run started from the page. */
  structure: string;
  /** the just-bin-it `config` command the tap sends (until acknowledged, and again when histograms stop coming). */
  histConfig: Record<string, unknown>;
  /** how long PV updates are kept. */
  pvHistoryMs: number;
}

/** Counts of one topic since the tap started. */
export interface TopicFigures {
  messages: number;
  /** neutron events (ev44/ev42), 0 for other topics. */
  events: number;
  bytes: number;
  /** wall-clock ms when its newest record arrived; 0: none yet. */
  lastMs: number;
}

/** The newest hs01 message of one histogram id. */
export interface HistogramView {
  id: string;
  /** the hs01 `timestamp` (ns, as a decimal string): names the message on Kafka. */
  timestampNs: string;
  /** just-bin-it's state from the `info` JSON. */
  state: string;
  sum: number;
  /** `current_shape`. */
  shape: number[];
  /** bin boundaries per dimension. */
  edges: number[][];
  /** the data, flat in C order. */
  counts: Float64Array;
  /** wall-clock ms when it arrived. */
  receivedMs: number;
}

/** A forwarded PV's recent updates. */
export interface PvSeries {
  source: string;
  /** ms since the epoch (the update's source time). */
  times: number[];
  values: number[];
}

/** A file writer job as its status and done messages tell it. */
export interface WriterJobView {
  jobId: string;
  filename: string;
  startMs: number;
  /** `NO_STOP_TIME_MS` when open-ended. */
  stopMs: number;
  state: "writing" | "finished" | "failed";
  /** wrdn's message when it failed. */
  error?: string;
  /** wall-clock ms of the newest message about it. */
  updatedMs: number;
}

/** The histogram config's fate. */
export interface HistConfigView {
  /** the msg_id of the newest send. */
  msgId: string;
  sentMs: number;
  /** "ACK", "ERR", "" while unanswered, or "REPLACED" when another client configured the histogrammer since. */
  response: string;
  /** ERR: the histogrammer's message; REPLACED: the other config's msg_id. */
  message?: string;
}

/** Everything the tap knows, as the main thread asks for it. */
export interface TapView {
  topics: Record<string, TopicFigures>;
  histograms: HistogramView[];
  pvs: PvSeries[];
  jobs: WriterJobView[];
  histConfig: HistConfigView;
  /** records that could not be decoded (counted, skipped). */
  undecodable: number;
}

/** The reply to a control: `error` says why it was not done. */
export interface ControlReply {
  ok: boolean;
  error?: string;
  /** startRun: the job and its file. */
  jobId?: string;
  filename?: string;
  /** stopRun: the jobs a stop was sent to. */
  stopped?: string[];
}

/** The tap actor (`actors/live/tap.ts`). */
export interface TapProtocol {
  in: None;
  requests: {
    view: { request: null; reply: TapView };
    /** sends a pl72 run start with the configured structure (its NXentry title replaced when `title` is given). */
    startRun: { request: { title: string; durationS: number }; reply: ControlReply };
    /** sends a 6s4t "stop now" to every job a writer reports writing. */
    stopRun: { request: null; reply: ControlReply };
    /** sends just-bin-it's `reset_counts`. */
    resetHistograms: { request: null; reply: ControlReply };
    stats: { request: null; reply: { undecodable: number; records: number; sent: number } };
  };
  out: None;
  ports: { batches: ConsumerLink; records: ProducerLink };
}

/** A topic's figures with its rates over the last second or so. */
export interface TopicRow extends TopicFigures {
  topic: string;
  messageRate: number;
  eventRate: number;
}

/** A file writer job with what the writer's actor in this process says of it. */
export interface JobRow extends WriterJobView {
  /** messages written so far; absent when the job's writer is not in this process. */
  written?: number;
  /** neutron events written so far. */
  events?: number;
  /** bytes written into datasets. */
  bytes?: number;
  /** the file's size on disk. */
  fileBytes?: number;
  path?: string;
}

/**
 * What the live page receives (`GET /live/state`, and each message of `GET /live/events`): the tap's view without
 * the histogram counts (`GET /live/histogram?id=` serves those), the supervision tree, health and alerts.
 */
export interface LiveState {
  /** the server's clock (ms since the epoch) when this was made. */
  serverMs: number;
  /** `GET /health`'s reply. */
  health: import("./admin.ts").HealthReply;
  tree: import("./supervision.ts").TreeSnapshot;
  /** the tap consumer's connection to Kafka. */
  kafka: { connected: boolean; error?: string };
  /** whether the tap answered; `lastMs` is when it last did (0: never). */
  tap: { ok: boolean; error?: string; lastMs: number };
  topics: TopicRow[];
  /** event rates of the event topics over the last minutes (`times` in ms). */
  rates: { times: number[]; events: Record<string, number[]> };
  histograms: Omit<HistogramView, "counts">[];
  /** the ids of the detector image (a dethist) and the TOF spectrum (a hist1d) among `histograms`. */
  image: { id: string; firstId: number; width: number; height: number };
  spectrum: { id: string };
  pvs: (PvSeries & { unit: string })[];
  jobs: JobRow[];
  histConfig: HistConfigView;
  undecodable: number;
  /** why something is down or stale, in words; empty when all is well. */
  alerts: string[];
  /** whether controls need the admin token. */
  tokenRequired: boolean;
}
