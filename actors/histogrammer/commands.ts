/**
 * just-bin-it's JSON commands, checked at the edge: `config` (with its histograms), `reset_counts` and `stop`
 * (reference: operations-and-live-view.md §2.1–2.2). Pure functions; anything refused throws a {@linkcode
 * CommandError} whose message goes into the ERR response.
 *
 * Departures from just-bin-it, on purpose: the default output schema is hs01 and `da00` is accepted; a `roihist`
 * whose rows overlap or are not increasing is refused with ERR instead of being ACKed and silently dropped.
 *
 * @module
 */
import type { HistogramSpec, HistogramType, InputSchema, OutputSchema } from "../../protocols/histogrammer.ts";

/** A command that cannot be acted on. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

/** A checked `config` command. */
export interface ConfigCommand {
  cmd: "config";
  msgId: string | null;
  /** ms since the epoch, as given (or from `interval`). */
  start: number | null;
  stop: number | null;
  input: InputSchema;
  output: OutputSchema;
  histograms: HistogramSpec[];
}

/** Any checked command. */
export type Command =
  | ConfigCommand
  | { cmd: "reset_counts"; msgId: string | null }
  | { cmd: "stop"; msgId: string | null };

const TOPIC = /^[a-zA-Z0-9._\-]+$/;
const TYPES: readonly HistogramType[] = ["hist1d", "hist2d", "dethist", "roihist"];
const REQUIRED: Record<HistogramType, string[]> = {
  hist1d: ["tof_range", "num_bins"],
  hist2d: ["tof_range", "det_range", "num_bins"],
  dethist: ["det_range", "width", "height"],
  roihist: ["width", "left_edges"],
};
/** histograms larger than this many bins are refused (a typo must not take the memory of the host). */
export const MAX_BINS = 1 << 26;

/**
 * The `msg_id` of a command text, so that a command refused for any reason can still be answered: from the JSON
 * object, or, for text that is not JSON, from a `"msg_id": "..."` (or a number) found in it.
 */
export function msgIdOf(text: string): string | null {
  try {
    const o = JSON.parse(text);
    return o && typeof o === "object" && "msg_id" in o && o.msg_id !== null ? String(o.msg_id) : null;
  } catch {
    const found = /"msg_id"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?))/.exec(text);
    if (!found) return null;
    if (found[2] !== undefined) return found[2];
    try {
      return JSON.parse(`"${found[1]}"`);
    } catch {
      return found[1];
    }
  }
}

/**
 * Checks one command text.
 *
 * @param nowMs the wall clock, for `interval` (start = now, stop = now + interval).
 * @throws {CommandError} not JSON, not an object, an unknown `cmd`, schema or histogram type, missing or bad keys.
 */
export function parseCommand(text: string, nowMs: number): Command {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (error) {
    throw new CommandError(`Cannot parse the command: not JSON (${(error as Error).message})`);
  }
  if (!isObject(o)) throw new CommandError("Cannot use the command: not a JSON object");
  const msgId = "msg_id" in o && o.msg_id !== null ? String(o.msg_id) : null;
  switch (o.cmd) {
    case "reset_counts":
    case "stop":
      return { cmd: o.cmd, msgId };
    case "config":
      return { ...parseConfig(o, nowMs), msgId };
    default:
      throw new CommandError(`Unknown command type '${String(o.cmd)}'`);
  }
}

function parseConfig(o: Record<string, unknown>, nowMs: number): ConfigCommand {
  const input = o.input_schema ?? "ev42";
  if (input !== "ev42" && input !== "ev44") throw new CommandError(`Unknown input schema '${String(input)}'`);
  const output = o.output_schema ?? "hs01";
  if (output !== "hs01" && output !== "hs00" && output !== "da00") {
    throw new CommandError(`Unknown output schema '${String(output)}'`);
  }
  let start = optionalTime(o.start, "start");
  let stop = optionalTime(o.stop, "stop");
  if (o.interval !== undefined && o.interval !== null) {
    if (start !== null || stop !== null) {
      throw new CommandError("Cannot define 'interval' in combination with start and/or stop");
    }
    if (typeof o.interval !== "number" || !(o.interval >= 0)) {
      throw new CommandError(`Cannot use interval ${JSON.stringify(o.interval)}: a number of seconds, >= 0`);
    }
    start = nowMs;
    stop = nowMs + Math.round(o.interval * 1000);
  }
  if (start !== null && stop !== null && stop < start) {
    throw new CommandError(`Cannot use stop ${stop} before start ${start}`);
  }
  if (!Array.isArray(o.histograms)) throw new CommandError("Cannot use the config: 'histograms' must be a list");
  const histograms = o.histograms.map((h, i) => parseHistogram(h, i));
  return { cmd: "config", msgId: null, start, stop, input, output, histograms };
}

/** Checks one histogram entry; `i` names it in errors. */
export function parseHistogram(h: unknown, i: number): HistogramSpec {
  const at = `histograms[${i}]`;
  if (!isObject(h)) throw new CommandError(`Cannot use ${at}: not an object`);
  const type = h.type as HistogramType;
  if (!TYPES.includes(type)) throw new CommandError(`Cannot use ${at}: unknown histogram type '${String(h.type)}'`);
  for (const key of ["topic", "data_topics", "data_brokers", ...REQUIRED[type]]) {
    if (h[key] === undefined || h[key] === null) throw new CommandError(`Cannot use ${at}: '${key}' is missing`);
  }
  const spec: HistogramSpec = {
    type,
    dataBrokers: strings(h.data_brokers, `${at}.data_brokers`),
    dataTopics: strings(h.data_topics, `${at}.data_topics`).map((t) => topicName(t, `${at}.data_topics`)),
    topic: topicName(h.topic, `${at}.topic`),
    source: optionalString(h.source, `${at}.source`),
    id: optionalString(h.id, `${at}.id`),
  };
  if (h.tof_range !== undefined && h.tof_range !== null) spec.tofRange = range(h.tof_range, `${at}.tof_range`);
  if (h.det_range !== undefined && h.det_range !== null) spec.detRange = range(h.det_range, `${at}.det_range`);
  if (type === "hist1d" || type === "hist2d") spec.numBins = bins(h.num_bins, type === "hist2d" ? 2 : 1, at);
  if (type === "dethist" || type === "roihist") spec.width = positive(h.width, `${at}.width`);
  if (type === "dethist") {
    spec.height = positive(h.height, `${at}.height`);
    if (!Number.isInteger(spec.detRange![0])) throw new CommandError(`Cannot use ${at}.det_range: whole numbers`);
    if (spec.width! * spec.height! > MAX_BINS) throw new CommandError(`Cannot use ${at}: more than ${MAX_BINS} bins`);
  }
  if (type === "roihist") spec.leftEdges = leftEdges(h.left_edges, spec.width!, at);
  return spec;
}

function bins(value: unknown, n: number, at: string): number[] {
  const list = typeof value === "number" ? new Array(n).fill(value) : value;
  if (!Array.isArray(list) || list.length !== n) {
    throw new CommandError(`Cannot use ${at}.num_bins: a positive whole number${n === 2 ? " or a list of two" : ""}`);
  }
  const out = list.map((b) => positive(b, `${at}.num_bins`));
  if (out.reduce((a, b) => a * b, 1) > MAX_BINS) throw new CommandError(`Cannot use ${at}: more than ${MAX_BINS} bins`);
  return out;
}

function leftEdges(value: unknown, width: number, at: string): number[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every(Number.isInteger)) {
    throw new CommandError(`Cannot use ${at}.left_edges: a non-empty list of whole numbers`);
  }
  for (let r = 1; r < value.length; r++) {
    if (value[r] < value[r - 1] + width) {
      throw new CommandError(`Cannot use ${at}.left_edges: rows must increase and not overlap (width ${width})`);
    }
  }
  if (value[value.length - 1] + width - value[0] > MAX_BINS) {
    throw new CommandError(`Cannot use ${at}.left_edges: spans more than ${MAX_BINS} ids`);
  }
  return value;
}

function range(value: unknown, at: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === "number" && isFinite(v))) {
    throw new CommandError(`Cannot use ${at}: a list of two numbers`);
  }
  if (value[0] > value[1]) throw new CommandError(`Cannot use ${at}: the low end ${value[0]} is above ${value[1]}`);
  return [value[0], value[1]];
}

function positive(value: unknown, at: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new CommandError(`Cannot use ${at}: a positive whole number, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function strings(value: unknown, at: string): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && s !== "")) {
    throw new CommandError(`Cannot use ${at}: a non-empty list of strings`);
  }
  return list;
}

function topicName(value: unknown, at: string): string {
  if (typeof value !== "string" || !TOPIC.test(value)) {
    throw new CommandError(`Cannot use ${at}: not a topic name: ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalString(value: unknown, at: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new CommandError(`Cannot use ${at}: must be a string`);
  return value;
}

function optionalTime(value: unknown, at: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new CommandError(`Cannot use ${at}: milliseconds since the epoch, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
