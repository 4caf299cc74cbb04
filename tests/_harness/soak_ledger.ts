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

/** Every record of `topics` as it is now (from the beginning to the high watermark of each partition). */
export async function readWhole(connection: ConnectionOptions, topics: string[]): Promise<ReadRecord[]> {
  const admin = await BrokerAdmin.connect(connection);
  const ends = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const o of await admin.listOffsets(topic)) if (o.high > o.low) ends.set(`${topic}/${o.partition}`, o.high);
    }
  } finally {
    await admin.close();
  }
  const records: ReadRecord[] = [];
  let done: () => void = () => {};
  const complete = new Promise<void>((r) => done = r);
  if (ends.size === 0) done();
  const reader = await readTopics(connection, topics, "beginning", (r) => {
    const k = `${r.topic}/${r.partition}`;
    const end = ends.get(k);
    if (end === undefined || r.offset >= end) return;
    records.push(r);
    if (r.offset === end - 1 && ends.delete(k) && ends.size === 0) done();
  });
  const timeout = setTimeout(done, 120_000);
  await complete;
  clearTimeout(timeout);
  await reader.stop();
  if (ends.size > 0) throw new Error(`Cannot read ${[...ends.keys()].join(", ")} to the end within 120 s`);
  return records;
}

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
 * Compares the `[pulse ns (decimal text), events]` rows of one NXevent_data group with the ev44 records of one
 * source. `marginNs` keeps the window's edges out of the "missing" check (a pulse's message may straddle them).
 */
export function eventLedger(
  records: ReadRecord[],
  source: string,
  file: [string, number, ...unknown[]][],
  window: { startNs: bigint; stopNs: bigint; marginNs: bigint },
): EventLedger {
  const seen = new Set<string>();
  const perPulse = new Map<string, number>();
  let kafkaRecords = 0;
  for (const r of records) {
    if (fileIdentifier(r.value) !== "ev44") continue;
    const m = ev44.decode(r.value);
    if (m.source_name !== source) continue;
    kafkaRecords++;
    const id = `${m.message_id}/${m.reference_time[0]}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = m.time_of_flight?.length ?? 0;
    m.reference_time.forEach((t, i) => {
      const end = i + 1 < m.reference_time_index.length ? m.reference_time_index[i + 1] : n;
      const pulse = String(t);
      perPulse.set(pulse, (perPulse.get(pulse) ?? 0) + end - m.reference_time_index[i]);
    });
  }
  const inFile = new Map<string, number>();
  for (const [pulse, events] of file) inFile.set(pulse, (inFile.get(pulse) ?? 0) + events);
  const wrong = [...inFile].filter(([p, n]) => perPulse.get(p) !== n).map(([p, n]) => `${p}: ${n}/${perPulse.get(p)}`);
  const { startNs, stopNs, marginNs } = window;
  const missing = [...perPulse.keys()].filter((p) =>
    BigInt(p) > startNs + marginNs && BigInt(p) < stopNs - marginNs && !inFile.has(p)
  );
  return {
    kafkaRecords,
    kafkaDuplicates: kafkaRecords - seen.size,
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

/** Compares one NXlog (`time` ns, `value`) with the f144 records of `source` whose time is in [start, stop]. */
export function logLedger(
  records: ReadRecord[],
  source: string,
  log: { time: number[]; value: unknown[] },
  window: { startNs: bigint; stopNs: bigint },
): LogLedger {
  // times as float64 on both sides: the file's come through JSON, so they are rounded the same way
  const key = (t: number, v: unknown) => `${t} ${JSON.stringify(v)}`;
  const kafka = new Set<string>();
  let inWindow = 0;
  for (const r of records) {
    if (fileIdentifier(r.value) !== "f144") continue;
    const m = f144.decode(r.value);
    if (m.source_name !== source || m.timestamp < window.startNs || m.timestamp > window.stopNs) continue;
    inWindow++;
    kafka.add(key(Number(m.timestamp), (m.value as { value: unknown }).value));
  }
  const [lo, hi] = [Number(window.startNs), Number(window.stopNs)];
  const file = log.time.flatMap((t, i) => t >= lo && t <= hi ? [key(t, log.value[i])] : []);
  return {
    inKafka: kafka.size,
    kafkaRepeats: inWindow - kafka.size,
    inFile: file.length,
    missing: minus([...kafka], file),
    extra: minus(file, [...kafka]),
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
