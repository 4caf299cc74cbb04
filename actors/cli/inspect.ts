/**
 * `nxflow inspect`: decodes ESS FlatBuffers messages from files, a folder, stdin or a Kafka topic and prints one JSON
 * object per message (the JSON form of `schemas/`) or a table. Unknown or broken messages are printed as such, with
 * their size and identifier, and never stop the tool.
 *
 * Topic mode works out each partition's start offset here, then runs a small actor tree: nxflow's Kafka consumer actor
 * (`actors/broker/consumer.ts`) feeding the printer actor (`actors/inspect/printer.ts`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BrokerAdmin, type PartitionOffsets } from "../broker/admin.ts";
import type { ConsumerProtocol } from "../../protocols/broker.ts";
import type { PrinterConfig, PrinterProtocol } from "../../protocols/inspect.ts";
import { inspectBytes, type Inspected, jsonLine, tableHead, tableLine, TOPIC_WIDTH } from "../inspect/format.ts";
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
      { id: "printer", module: new URL("../inspect/printer.ts", import.meta.url), config },
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
