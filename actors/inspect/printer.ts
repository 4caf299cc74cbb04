/**
 * The printer actor of `nxflow inspect --topic`: nxflow's Kafka consumer actor (`actors/broker/consumer.ts`) feeds it
 * over the `batches` channel. It answers the consumer's `hello` with the exact start offsets the command worked out (so
 * a restarted consumer goes on after the last record printed), never confirms (an inspector commits no offsets), prints
 * each record as it comes, and emits `done` when the count is reached, every partition is read up to its end (without
 * `follow`), or stdout is closed.
 *
 * @module
 */
import type { ConsumedRecord } from "../../protocols/broker.ts";
import type { PrinterConfig, PrinterProtocol } from "../../protocols/inspect.ts";
import { defineActor } from "../runtime/actor.ts";
import { inspectBytes, recordJsonLine, tableLine, TOPIC_WIDTH } from "./format.ts";

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
        port.post({ type: "continueFrom", positions });
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
