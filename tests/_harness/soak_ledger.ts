/**
 * The judge of a soak: a finished run's file against an independent read of its Kafka topics. ev44 messages are told
 * apart by (source, message id, first pulse time), so a record a restarted producer stored twice counts once; each
 * pulse in the file must hold exactly the events of that pulse's distinct messages in Kafka (twice would be a
 * duplicate written, fewer a loss), and every pulse Kafka has inside the window must be in the file. f144: each
 * distinct update (time, value) of a PV in the window in Kafka must be in its NXlog exactly once (the writer drops a
 * message with the timestamp of the one before, as kafka-to-nexus does, so periodic re-sends are written once).
 *
 * @module
 */
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { type ReadRecord, readTopics } from "../../actors/broker/client.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import { f144 } from "../../schemas/f144/codec.ts";
import { fileIdentifier } from "../../schemas/reader.ts";

/** Calls `onRecord` for every record of `topics` as they are now (from the beginning to each high watermark). */
export async function readWhole(
  connection: ConnectionOptions,
  topics: string[],
  onRecord: (record: ReadRecord) => void,
): Promise<void> {
  const admin = await BrokerAdmin.connect(connection);
  const ends = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const o of await admin.listOffsets(topic)) if (o.high > o.low) ends.set(`${topic}/${o.partition}`, o.high);
    }
  } finally {
    await admin.close();
  }
  let done: () => void = () => {};
  const complete = new Promise<void>((r) => done = r);
  if (ends.size === 0) done();
  let last = Date.now();
  const reader = await readTopics(connection, topics, "beginning", (r) => {
    last = Date.now();
    const k = `${r.topic}/${r.partition}`;
    const end = ends.get(k);
    if (end === undefined || r.offset >= end) return;
    onRecord(r);
    if (r.offset === end - 1 && ends.delete(k) && ends.size === 0) done();
  });
  const stalled = setInterval(() => Date.now() - last > 60_000 && done(), 1000);
  await complete;
  clearInterval(stalled);
  await reader.stop();
  if (ends.size > 0) throw new Error(`Cannot read ${[...ends.keys()].join(", ")} to the end: nothing came for 60 s`);
}

/** The distinct ev44 messages of one source and their events per pulse, tallied as records are read. */
export class EventTally {
  records = 0;
  #ids = new Set<string>();
  /** events per pulse (ns, decimal text) of the distinct messages. */
  readonly perPulse = new Map<string, number>();

  constructor(readonly source: string) {}

  /** Counts one record (records of other schemas or sources are skipped). */
  add(r: ReadRecord): void {
    if (fileIdentifier(r.value) !== "ev44") return;
    const m = ev44.decode(r.value);
    if (m.source_name !== this.source) return;
    this.records++;
    const id = `${m.message_id}/${m.reference_time[0]}`;
    if (this.#ids.has(id)) return;
    this.#ids.add(id);
    const n = m.time_of_flight?.length ?? 0;
    m.reference_time.forEach((t, i) => {
      const end = i + 1 < m.reference_time_index.length ? m.reference_time_index[i + 1] : n;
      const pulse = String(t);
      this.perPulse.set(pulse, (this.perPulse.get(pulse) ?? 0) + end - m.reference_time_index[i]);
    });
  }

  /** Records repeating an earlier message. */
  get duplicates(): number {
    return this.records - this.#ids.size;
  }
}

/** The f144 updates of one PV, tallied as records are read: distinct (time, value) and all records. */
export class LogTally {
  records = 0;
  /** `time value` keys; times as float64 (the file's come through JSON and are rounded the same way). */
  readonly updates = new Set<string>();

  constructor(readonly source: string, readonly window: { startNs: bigint; stopNs: bigint }) {}

  /** Counts one record if it is an f144 of this PV inside the window. */
  add(r: ReadRecord): void {
    if (fileIdentifier(r.value) !== "f144") return;
    const m = f144.decode(r.value);
    if (m.source_name !== this.source || m.timestamp < this.window.startNs || m.timestamp > this.window.stopNs) return;
    this.records++;
    this.updates.add(logKey(Number(m.timestamp), (m.value as { value: unknown }).value));
  }
}

const logKey = (t: number, v: unknown) => `${t} ${JSON.stringify(v)}`;

/** How the events of a run's file compare with the distinct ev44 messages in Kafka. */
export interface EventLedger {
  /** ev44 records in Kafka, and how many of them repeat an earlier one (a producer's re-send after a crash). */
  kafkaRecords: number;
  kafkaDuplicates: number;
  pulsesInFile: number;
  eventsInFile: number;
  /** events of the window's pulses in Kafka (distinct messages), for the pulses the file holds. */
  eventsInKafka: number;
  /** pulses whose events in the file differ from Kafka's (more: written twice; fewer: lost): `pulse: file/kafka`. */
  wrong: string[];
  /** pulses Kafka has strictly inside the window that the file lacks. */
  missing: string[];
}

/**
 * Compares the `[pulse ns (decimal text), events]` rows of one NXevent_data group with the tally of its source.
 * `marginNs` keeps the window's edges out of the "missing" check (a pulse's message may straddle them).
 */
export function eventLedger(
  tally: EventTally,
  file: [string, number, ...unknown[]][],
  window: { startNs: bigint; stopNs: bigint; marginNs: bigint },
): EventLedger {
  const { perPulse } = tally;
  const inFile = new Map<string, number>();
  for (const [pulse, events] of file) inFile.set(pulse, (inFile.get(pulse) ?? 0) + events);
  const wrong = [...inFile].filter(([p, n]) => perPulse.get(p) !== n).map(([p, n]) => `${p}: ${n}/${perPulse.get(p)}`);
  const { startNs, stopNs, marginNs } = window;
  const missing = [...perPulse.keys()].filter((p) =>
    BigInt(p) > startNs + marginNs && BigInt(p) < stopNs - marginNs && !inFile.has(p)
  );
  return {
    kafkaRecords: tally.records,
    kafkaDuplicates: tally.duplicates,
    pulsesInFile: inFile.size,
    eventsInFile: [...inFile.values()].reduce((a, b) => a + b, 0),
    eventsInKafka: [...inFile.keys()].reduce((a, p) => a + (perPulse.get(p) ?? 0), 0),
    wrong,
    missing,
  };
}

/** How one PV's NXlog compares with its f144 updates in Kafka inside the window. */
export interface LogLedger {
  /** distinct updates (time, value) in Kafka, and records repeating one (periodic re-sends, a producer's re-send). */
  inKafka: number;
  kafkaRepeats: number;
  inFile: number;
  /** `time value` of updates in Kafka and not in the file, and the other way round. */
  missing: string[];
  extra: string[];
}

/** Compares one NXlog (`time` ns, `value`) with the tally of its PV's f144 updates in the window. */
export function logLedger(tally: LogTally, log: { time: number[]; value: unknown[] }): LogLedger {
  const [lo, hi] = [Number(tally.window.startNs), Number(tally.window.stopNs)];
  const file = log.time.flatMap((t, i) => t >= lo && t <= hi ? [logKey(t, log.value[i])] : []);
  const kafka = [...tally.updates];
  return {
    inKafka: kafka.length,
    kafkaRepeats: tally.records - kafka.length,
    inFile: file.length,
    missing: minus(kafka, file),
    extra: minus(file, kafka),
  };
}

/** The multiset difference a − b. */
function minus(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  return a.filter((x) => {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    return n === 0;
  });
}
