/**
 * `nxflow inspect`: decodes ESS FlatBuffers messages from files, a folder, stdin or a Kafka topic and prints one JSON
 * object per message (the JSON form of `schemas/`) or a table. Unknown or broken messages are printed as such, with
 * their size and identifier, and never stop the tool.
 *
 * Topic mode runs a small actor tree: nxflow's Kafka consumer actor (`actors/broker/consumer.ts`) feeding the
 * printer actor that is this module's default export. The printer answers the consumer's `hello` with the exact
 * start offsets worked out here (so a restarted consumer goes on after the last record printed), never confirms
 * (an inspector commits no offsets), and prints each record as it comes.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BrokerAdmin, type PartitionOffsets } from "../broker/admin.ts";
import { BadBufferError, toJsonAny } from "../../schemas/mod.ts";
import type { ConsumedRecord, ConsumerLink, ConsumerProtocol } from "../../protocols/broker.ts";
import type { None } from "../../protocols/runtime.ts";
import { defineActor } from "../runtime/actor.ts";
import { ActorSystem } from "../runtime/system.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./command.ts";
import {
  connectKafka,
  KAFKA_FLAGS,
  kafkaDefaults,
  kafkaFromFlags,
  kafkaHelp,
  type KafkaSection,
} from "./kafka_config.ts";

const CLIENT_ID = "nxflow-inspect";
const HELP = `Usage: nxflow inspect [--file F]... [--dir D] [--format json|table]
       nxflow inspect --topic T [--brokers B] [--partition P] [--offset O | --start-time T] [--count N] [--follow]
                      [--format json|table]

Decodes ESS FlatBuffers messages (ev44, f144, pl72, ... any schema of "nxflow encode --help") and prints one line
per message. Each file is one message; with neither --file, --dir nor --topic, one message is read from stdin.

Options:
  --file F          a message file (repeatable)
  --dir D           every file in folder D, in name order
  --format FORMAT   json (default): one JSON object per line, the message in the JSON form that flatc --json prints
                    (64-bit integers exact) under "message", or "error" for an unknown or broken message; files
                    give "source", "size", "schema"; Kafka records give "topic", "partition", "offset",
                    "timestamp" (ms), "key" (text, null when absent, or "key_hex" when not UTF-8), "size", "schema"
                    table: where the message came from, its size, schema and the start of the message

Kafka topic (with the Kafka options below):
  --topic T         the topic to read
  --partition P     only this partition (default: every partition)
  --offset O        where to start in each partition: an offset, --offset=-N (N records before the end),
                    beginning or end (default: beginning)
  --start-time T    start at the first record at or after T (ISO 8601 date or ms since the epoch)
  --count N         stop after N records
  --follow          wait for new records instead of stopping at the end of the partitions (stop with Ctrl-C)

${kafkaHelp(CLIENT_ID)}

Exit codes: 0 every message decoded, 1 some message was unknown or broken, 2 bad options, unreadable input
(a Kafka password or PEM file too), or a topic that cannot be read.

Examples:
  nxflow inspect --file run_start.bin
  nxflow inspect --dir captured/ --format table
  nxflow encode f144 --in value.json | nxflow inspect
  nxflow inspect --brokers localhost:9092 --topic detector_events --offset=-10
  nxflow inspect --brokers localhost:9092 --topic motion --start-time 2026-11-22T03:00:00Z --follow --format table`;

/** One inspected message: where it came from, its size, its identifier, and its JSON form or the error. */
export interface Inspected {
  source: string;
  size: number;
  schema: string | null;
  message?: string;
  error?: string;
}

/** Decodes one message for printing; never throws for bad bytes. */
export function inspectBytes(source: string, bytes: Uint8Array): Inspected {
  const schema = bytes.length >= 8 ? String.fromCharCode(...bytes.subarray(4, 8)) : null;
  try {
    return { source, size: bytes.length, schema, message: toJsonAny(bytes) };
  } catch (error) {
    if (!(error instanceof BadBufferError)) throw error;
    return { source, size: bytes.length, schema, error: error.message };
  }
}

/** `"size","schema"` and `"message"` (embedded as is, so 64-bit integers stay exact) or `"error"` of a result. */
function resultFields(r: Inspected): string {
  const head = `"size":${r.size},"schema":${JSON.stringify(r.schema)}`;
  return r.message !== undefined ? `${head},"message":${r.message}` : `${head},"error":${JSON.stringify(r.error)}`;
}

/** Formats one result as a JSON line. */
export function jsonLine(r: Inspected): string {
  return `{"source":${JSON.stringify(r.source)},${resultFields(r)}}`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The record's key as JSON fields: `"key":"text"`, `"key":null`, or `"key_hex":"..."` when it is not UTF-8. */
function keyField(key: Uint8Array | null): string {
  if (key === null) return `"key":null`;
  try {
    return `"key":${JSON.stringify(utf8.decode(key))}`;
  } catch {
    return `"key_hex":"${Array.from(key, (b) => b.toString(16).padStart(2, "0")).join("")}"`;
  }
}

/** Formats one Kafka record as a JSON line: where it is in Kafka, then the message as in {@linkcode jsonLine}. */
export function recordJsonLine(topic: string, partition: number, record: ConsumedRecord, r: Inspected): string {
  const where = `"topic":${JSON.stringify(topic)},"partition":${partition},"offset":${record.offset}`;
  return `{${where},"timestamp":${record.timestampMs},${keyField(record.key)},${resultFields(r)}}`;
}

function tableLine(r: Inspected, width = 24): string {
  const text = r.message ?? `ERROR ${r.error}`;
  const shown = text.length > 100 ? `${text.slice(0, 97)}...` : text;
  return `${r.source.padEnd(width)} ${String(r.size).padStart(9)}  ${(r.schema ?? "----").padEnd(4)}  ${shown}`;
}

/** Topic mode's first table column: `partition@offset` and the record's timestamp. */
const TOPIC_WIDTH = 40;
const tableHead = (first: string, width = 24) => `${first.padEnd(width)} ${"size".padStart(9)}  id    message`;

async function sources(files: string[], dir: string | undefined): Promise<string[]> {
  if (!dir) return files;
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(`${dir.replace(/\/$/, "")}/${entry.name}`);
  return [...files, ...names.sort()];
}

const TEXT = { type: "string" } as const;
const OPTIONS = {
  file: { type: "string", multiple: true },
  follow: { type: "boolean" },
  ...KAFKA_FLAGS,
  ...{ dir: TEXT, format: TEXT, topic: TEXT, partition: TEXT, offset: TEXT, count: TEXT },
  "start-time": TEXT,
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>["values"];

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS });
  const format = values.format ?? "json";
  if (format !== "json" && format !== "table") throw new UsageError(`--format must be json or table, not "${format}"`);
  if (values.topic !== undefined) return await runTopic(values, format);
  for (const name of ["partition", "offset", "start-time", "count", "follow", ...Object.keys(KAFKA_FLAGS)]) {
    if ((values as Record<string, unknown>)[name] !== undefined) throw new UsageError(`--${name} needs --topic`);
  }
  const print = (r: Inspected) => console.log(format === "json" ? jsonLine(r) : tableLine(r));
  if (format === "table") console.log(tableHead("source"));
  let broken = 0;
  const paths = await sources(values.file ?? [], values.dir).catch((error) => {
    console.error(`nxflow inspect: cannot read folder ${values.dir}: ${error.message}`);
    return null;
  });
  if (paths === null) return 2;
  if (paths.length === 0 && !values.dir) {
    const result = inspectBytes("stdin", new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer()));
    print(result);
    return result.error ? 1 : 0;
  }
  for (const path of paths) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      console.error(`nxflow inspect: cannot read ${path}: ${(error as Error).message}`);
      return 2;
    }
    const result = inspectBytes(path, bytes);
    if (result.error) broken++;
    print(result);
  }
  return broken > 0 ? 1 : 0;
}

/** What the printer actor is told: the topic, and per partition where to start and (without follow) where to stop. */
export interface PrinterConfig {
  topic: string;
  format: "json" | "table";
  /** records to print at most; null: no limit. */
  count: number | null;
  follow: boolean;
  /** `from`: first offset to print; `end`: the high watermark when the tool started. */
  partitions: { partition: number; from: number; end: number }[];
}

/** The printer actor (this module's default export): fed by the consumer actor, reports when it is done. */
export interface PrinterProtocol {
  in: None;
  requests: Record<string, never>;
  out: { type: "done"; printed: number; broken: number; outputClosed: boolean };
  ports: { batches: ConsumerLink };
}

function integer(value: string, option: string, min: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${option} must be an integer >= ${min}, not "${value}"`);
  }
  return n;
}

/** Where to start: an offset (negative: from the end), the beginning, the end, or a time. */
type Start = { offset: number } | "beginning" | "end" | { timeMs: number };

/** Checks the topic-mode options that need no broker. */
function startOf(values: Values): Start {
  const { offset, "start-time": startTime } = values;
  if (offset !== undefined && startTime !== undefined) throw new UsageError("give --offset or --start-time, not both");
  if (startTime !== undefined) {
    const timeMs = /^\d+$/.test(startTime) ? Number(startTime) : Date.parse(startTime);
    if (!Number.isFinite(timeMs)) {
      throw new UsageError(`--start-time must be an ISO 8601 date or ms, not "${startTime}"`);
    }
    return { timeMs };
  }
  if (offset === undefined || offset === "beginning" || offset === "end") return offset ?? "beginning";
  return { offset: integer(offset, "offset", -Number.MAX_SAFE_INTEGER) };
}

/** Where each partition starts (clamped to what the partition holds). */
async function startOffsets(admin: BrokerAdmin, topic: string, start: Start, offsets: PartitionOffsets[]) {
  if (start === "beginning") return offsets.map((o) => o.low);
  if (start === "end") return offsets.map((o) => o.high);
  if ("offset" in start) {
    const n = start.offset;
    return offsets.map((o) => Math.min(Math.max(n < 0 ? o.high + n : n, o.low), o.high));
  }
  const found = await admin.offsetsForTime(topic, start.timeMs);
  return offsets.map((o) => {
    const at = found.find((f) => f.partition === o.partition)?.offset ?? -1;
    return at < 0 ? o.high : Math.min(Math.max(at, o.low), o.high);
  });
}

/**
 * Connects (reading the Kafka secret files), then works out the partitions and start offsets with an admin client;
 * null (after saying why) when it cannot.
 */
async function plan(values: Values, format: "json" | "table", kafka: KafkaSection) {
  const topic = values.topic!;
  const count = values.count === undefined ? null : integer(values.count, "count", 0);
  const partition = values.partition === undefined ? undefined : integer(values.partition, "partition", 0);
  const start = startOf(values);
  let admin: BrokerAdmin | undefined;
  try {
    const connection = await connectKafka(kafka, (line) => console.error(`nxflow inspect: ${line}`));
    admin = await BrokerAdmin.connect(connection);
    if (!(await admin.topicExists(topic))) {
      console.error(`nxflow inspect: topic "${topic}" does not exist on ${connection.brokers.join(",")}`);
      return null;
    }
    const all = await admin.listOffsets(topic);
    const offsets = partition === undefined ? all : all.filter((o) => o.partition === partition);
    if (offsets.length === 0) {
      console.error(`nxflow inspect: topic "${topic}" has no partition ${partition} (it has ${all.length})`);
      return null;
    }
    const from = await startOffsets(admin, topic, start, offsets);
    const partitions = offsets.map((o, i) => ({ partition: o.partition, from: from[i], end: o.high }));
    const config = { topic, format, count, follow: values.follow ?? false, partitions } satisfies PrinterConfig;
    return { config, connection };
  } catch (error) {
    console.error(`nxflow inspect: ${(error as Error).message}`);
    return null;
  } finally {
    await admin?.close().catch(() => {});
  }
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

async function runTopic(values: Values, format: "json" | "table"): Promise<number> {
  if (values.file || values.dir) throw new UsageError("give --file/--dir or --topic, not both");
  const planned = await plan(values, format, kafkaFromFlags(values, kafkaDefaults(CLIENT_ID)));
  if (planned === null) return 2;
  const { config, connection } = planned;
  if (format === "table") console.log(tableHead("partition@offset timestamp", TOPIC_WIDTH));
  if (config.count === 0 || (!config.follow && config.partitions.every((p) => p.from >= p.end))) return 0;
  const system = await ActorSystem.start({
    id: "inspect",
    children: [
      { id: "printer", module: new URL(import.meta.url), config },
      {
        id: "consumer",
        module: new URL("../broker/consumer.ts", import.meta.url),
        config: {
          connection,
          topics: [{ topic: config.topic, partitions: config.partitions.map((p) => p.partition) }],
          start: "beginning",
          maxUnconfirmedBytes: Number.MAX_SAFE_INTEGER,
        },
      },
    ],
    channels: [{ name: "batches", between: ["consumer", "printer"] }],
  });
  let stop = () => {};
  try {
    let lastError = "";
    system.ref<ConsumerProtocol>("consumer").onEmit((m) => {
      const error = m.connected ? "" : m.error ?? "not connected";
      if (error !== lastError) console.error(`nxflow inspect: ${error || "connected to Kafka again"}`);
      lastError = error;
    });
    const result = await new Promise<PrinterProtocol["out"] | null>((resolve) => {
      stop = () => resolve(null);
      for (const signal of SIGNALS) Deno.addSignalListener(signal, stop);
      system.ref<PrinterProtocol>("printer").onEmit(resolve);
    });
    return result && result.broken > 0 ? 1 : 0;
  } finally {
    for (const signal of SIGNALS) Deno.removeSignalListener(signal, stop);
    await system.stop();
  }
}

/** The `inspect` command. */
export const inspect: Command = {
  name: "inspect",
  summary: "decode ESS FlatBuffers messages (files, a folder, stdin or a Kafka topic) to JSON lines or a table",
  help: HELP,
  run,
};

interface PrinterState {
  config: PrinterConfig;
  epoch: string | null;
  /** per partition: the next offset to print. */
  next: Map<number, number>;
  /** per partition: the high watermark when the tool started (where it stops without --follow). */
  ends: Map<number, number>;
  /** partitions read up to their end (without --follow). */
  finished: Set<number>;
  printed: number;
  broken: number;
  done: boolean;
}

const encoder = new TextEncoder();

/** Writes all of `text` to stdout; false when stdout is closed (e.g. the reading end of a pipe went away). */
function write(text: string): boolean {
  const bytes = encoder.encode(text);
  try {
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
    return true;
  } catch {
    return false;
  }
}

function printBatch(s: PrinterState, partition: number, records: ConsumedRecord[]): boolean {
  const lines: string[] = [];
  const { topic, format, count, follow } = s.config;
  for (const record of records) {
    if (record.offset < s.next.get(partition)! || s.printed === count) continue;
    if (!follow && record.offset >= s.ends.get(partition)!) break;
    const r = inspectBytes(`${partition}@${record.offset}`, record.value);
    if (r.error) s.broken++;
    s.printed++;
    s.next.set(partition, record.offset + 1);
    const time = new Date(record.timestampMs).toISOString();
    lines.push(
      format === "json"
        ? recordJsonLine(topic, partition, record, r)
        : tableLine({ ...r, source: `${r.source} ${time}` }, TOPIC_WIDTH),
    );
  }
  return lines.length === 0 || write(lines.join("\n") + "\n");
}

function checkDone(s: PrinterState, ctx: { emit(m: PrinterProtocol["out"]): void }, outputClosed = false): void {
  const c = s.config;
  const allRead = !c.follow && c.partitions.every((p) => s.finished.has(p.partition));
  if (s.done || !(outputClosed || allRead || s.printed === c.count)) return;
  s.done = true;
  ctx.emit({ type: "done", printed: s.printed, broken: s.broken, outputClosed });
}

/** The printer actor of topic mode: answers the consumer's `hello` with its start offsets and prints records. */
export default defineActor<PrinterProtocol, PrinterConfig, PrinterState>({
  init(config, ctx) {
    const s: PrinterState = {
      config,
      epoch: null,
      next: new Map(config.partitions.map((p) => [p.partition, p.from])),
      ends: new Map(config.partitions.map((p) => [p.partition, p.end])),
      finished: new Set(config.partitions.filter((p) => p.from >= p.end).map((p) => p.partition)),
      printed: 0,
      broken: 0,
      done: false,
    };
    const port = ctx.port("batches");
    port.onMessage((m) => {
      if (m.type === "hello") {
        s.epoch = m.epoch;
        const positions = [...s.next].map(([partition, offset]) => ({ topic: config.topic, partition, offset }));
        port.post({ type: "resume", positions });
      } else if (m.type === "batch" && m.epoch === s.epoch && !s.done) {
        const open = printBatch(s, m.partition, m.records);
        const last = m.records[m.records.length - 1];
        if (last && last.offset + 1 >= s.ends.get(m.partition)!) s.finished.add(m.partition);
        checkDone(s, ctx, !open);
      } else if (m.type === "endOfPartition" && m.offset >= (s.ends.get(m.partition) ?? Infinity)) {
        s.finished.add(m.partition);
        checkDone(s, ctx);
      }
    });
    return s;
  },
});
