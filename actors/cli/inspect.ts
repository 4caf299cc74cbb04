/**
 * `nxflow inspect`: decodes ESS FlatBuffers messages from files, a folder or stdin and prints one JSON object per
 * message (the JSON form of `schemas/`) or a table. Unknown or broken messages are printed as such, with their size
 * and identifier, and never stop the tool.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BadBufferError, toJsonAny } from "../../schemas/mod.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./command.ts";

const HELP = `Usage: nxflow inspect [--file F]... [--dir D] [--format json|table]

Decodes ESS FlatBuffers messages (ev44, f144, pl72, ... any schema of "nxflow encode --help") and prints one line
per message. Each file is one message; with neither --file nor --dir, one message is read from stdin.

Options:
  --file F          a message file (repeatable)
  --dir D           every file in folder D, in name order
  --format FORMAT   json (default): {"source","size","schema","message"} per line, message in the JSON form that
                    flatc --json prints (64-bit integers exact); broken messages get "error" instead of "message"
                    table: source, size, schema and the start of the message

Reading Kafka topics (--brokers/--topic) is not part of this version.

Exit codes: 0 every message decoded, 1 some message was unknown or broken, 2 bad options or unreadable input.

Examples:
  nxflow inspect --file run_start.bin
  nxflow inspect --dir captured/ --format table
  nxflow encode f144 --in value.json | nxflow inspect`;

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

/** Formats one result as a JSON line (the message embedded as is, so 64-bit integers stay exact). */
export function jsonLine(r: Inspected): string {
  const head = `{"source":${JSON.stringify(r.source)},"size":${r.size},"schema":${JSON.stringify(r.schema)}`;
  return r.message !== undefined ? `${head},"message":${r.message}}` : `${head},"error":${JSON.stringify(r.error)}}`;
}

function tableLine(r: Inspected): string {
  const text = r.message ?? `ERROR ${r.error}`;
  const shown = text.length > 100 ? `${text.slice(0, 97)}...` : text;
  return `${r.source.padEnd(24)} ${String(r.size).padStart(9)}  ${(r.schema ?? "----").padEnd(4)}  ${shown}`;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function sources(files: string[], dir: string | undefined): Promise<string[]> {
  if (!dir) return files;
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(`${dir.replace(/\/$/, "")}/${entry.name}`);
  return [...files, ...names.sort()];
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { file: { type: "string", multiple: true }, dir: { type: "string" }, format: { type: "string" } },
  });
  const format = values.format ?? "json";
  if (format !== "json" && format !== "table") throw new UsageError(`--format must be json or table, not "${format}"`);
  const print = (r: Inspected) => console.log(format === "json" ? jsonLine(r) : tableLine(r));
  if (format === "table") console.log(`${"source".padEnd(24)} ${"size".padStart(9)}  id    message`);
  let broken = 0;
  const paths = await sources(values.file ?? [], values.dir).catch((error) => {
    console.error(`nxflow inspect: cannot read folder ${values.dir}: ${error.message}`);
    return null;
  });
  if (paths === null) return 2;
  if (paths.length === 0 && !values.dir) {
    const result = inspectBytes("stdin", await readAll(Deno.stdin.readable));
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

/** The `inspect` command. */
export const inspect: Command = {
  name: "inspect",
  summary: "decode ESS FlatBuffers messages (files, a folder or stdin) to JSON lines or a table",
  help: HELP,
  run,
};
