/**
 * The readout generator behind `nxflow readout-gen`: sends valid ESS readout packets of a detector family over UDP
 * (loopback or any address given) at a target rate, with a seed, a header version, a pulse frequency and a packet
 * size, from random events or from a replayed event list; can spoil packets with faults (a spoiled packet does not
 * use up a sequence number, so that only `seqgap` faults show as sequence errors). Pulses advance every
 * `packetsPerPulse` packets (virtual time from `startNs`), so runs repeat exactly. The summary tells what was sent
 * and how many events the EFU should form; `onEvent` receives each expected event (with the exact time of flight the
 * EFU computes from the written ticks).
 *
 * @module
 */
import { type DetectorConfig, familyOf } from "./detector_config.ts";
import { essTimeNs, tofNs } from "./ess_header.ts";
import type { FamilyInstance } from "./families/registry.ts";
import { seededRandom } from "../common/seeded_random.ts";
import {
  addNs,
  buildPacket,
  essTimeOf,
  type Fault,
  FAULT_COUNTER,
  type PacketHeader,
  pulseHeader,
  readoutsPerPacket,
  spoil,
} from "./readout_packets.ts";

/** What to send. */
export interface GeneratorOptions {
  detector: DetectorConfig;
  host: string;
  port: number;
  /** packets to send (faulty ones included). */
  packets: number;
  /** packets per second; 0 = as fast as possible. */
  rate: number;
  seed: number;
  version: 0 | 1;
  pulseHz: number;
  /** 0 = fill up to the largest payload. */
  packetBytes: number;
  /** 0 = rate / pulseHz (at least 1). */
  packetsPerPulse: number;
  /** time of the first pulse, ns since the epoch; 0 = now. */
  startNs: bigint;
  /** events to replay in a loop instead of random ones. */
  replay?: { pixel: Int32Array; tof: Int32Array };
  /** spoil every `every`-th packet with `fault`. */
  faults: { fault: Fault; every: number }[];
}

/** What was sent. */
export interface GeneratorSummary {
  packets: number;
  bytes: number;
  readouts: number;
  /** events the EFU should form (readouts of unspoiled packets, plus the seqgap ones which are still processed). */
  expectedEvents: number;
  pulses: number;
  /** spoiled packets per fault, and the EFU counter each one increments. */
  faults: Record<string, { packets: number; counter: string }>;
  seconds: number;
}

/** One expected event: pulse time (ns), pixel and time of flight. */
export type ExpectedEvent = (pulseNs: bigint, pixel: number, tof: number) => void;

/** Fills `pixel`/`tof` with `n` events of pixels the family can write, times within one pulse period. */
function randomEvents(family: FamilyInstance, random: () => number, n: number, periodNs: number) {
  const pixel = new Int32Array(n);
  const tof = new Int32Array(n);
  const probe = new DataView(new ArrayBuffer(64));
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let tries = 0; tries < 100 && p === 0; tries++) {
      const candidate = 1 + Math.floor(random() * family.maxPixel);
      if (family.write(probe, 0, candidate, 0, 0)) p = candidate;
    }
    pixel[i] = p;
    tof[i] = Math.floor(random() * periodNs);
  }
  return { pixel, tof };
}

/** Sends the packets; resolves with the summary. */
export async function generate(o: GeneratorOptions, onEvent?: ExpectedEvent): Promise<GeneratorSummary> {
  const family = familyOf(o.detector);
  const random = seededRandom(o.seed);
  const periodNs = Math.round(1e9 / o.pulseHz);
  const perPacket = readoutsPerPacket(family, o.version, o.packetBytes || undefined);
  if (perPacket < 1) throw new RangeError(`Cannot send ${o.packetBytes}-byte packets: no room for a readout`);
  const events = o.replay ?? randomEvents(family, random, perPacket * 64, periodNs);
  const perPulse = o.packetsPerPulse || Math.max(1, Math.round(o.rate / o.pulseHz));
  const start = essTimeOf(o.startNs || BigInt(Date.now()) * 1_000_000n);
  const summary: GeneratorSummary = {
    packets: 0,
    bytes: 0,
    readouts: 0,
    expectedEvents: 0,
    pulses: 0,
    faults: {},
    seconds: 0,
  };
  for (const f of o.faults) summary.faults[f.fault] = { packets: 0, counter: FAULT_COUNTER[f.fault] };
  const conn = Deno.listenDatagram({
    hostname: o.host === "127.0.0.1" ? "127.0.0.1" : "0.0.0.0",
    port: 0,
    transport: "udp",
  });
  const to: Deno.NetAddr = { transport: "udp", hostname: o.host, port: o.port };
  const began = performance.now();
  let next = 0;
  let seq = 0;
  /** packets built for the current pulse, by first event: the same chunk is re-sent with a new sequence number. */
  const cache = new Map<number, { packet: Uint8Array; written: number; expected: number }>();
  let cachedPulse = -1;
  try {
    for (let i = 0; i < o.packets; i++) {
      const pulseIndex = Math.floor(i / perPulse);
      const pulse = addNs(start.high, start.low, pulseIndex * periodNs);
      summary.pulses = pulseIndex + 1;
      const fault = o.faults.find((f) => (i + 1) % f.every === 0)?.fault;
      if (fault === "seqgap") seq++;
      const h = pulseHeader(family.type, o.version, fault && fault !== "seqgap" ? seq : seq++, pulse, periodNs);
      const from = next;
      const count = Math.min(perPacket, events.pixel.length - from);
      next = from + count >= events.pixel.length ? 0 : from + count;
      if (pulseIndex !== cachedPulse) {
        cache.clear();
        cachedPulse = pulseIndex;
      }
      let built = cache.get(from);
      if (!built) {
        const b = buildPacket(family, h, events.pixel, events.tof, from, from + count);
        built = { ...b, expected: countExpected(o, family, h, events, from, from + count) };
        cache.set(from, built);
      }
      const packet = built.packet.slice();
      new DataView(packet.buffer).setUint32(26, h.seq, true);
      if (fault === undefined || fault === "seqgap") {
        summary.expectedEvents += built.expected;
        if (onEvent) countExpected(o, family, h, events, from, from + count, onEvent);
      }
      const bytes = fault ? spoil(packet, fault) : packet;
      if (fault) summary.faults[fault].packets++;
      await conn.send(bytes, to);
      summary.packets++;
      summary.bytes += bytes.length;
      summary.readouts += built.written;
      if (o.rate > 0) {
        const ahead = (summary.packets / o.rate) * 1000 - (performance.now() - began);
        if (ahead > 2) await new Promise((r) => setTimeout(r, ahead));
      }
    }
  } finally {
    conn.close();
  }
  summary.seconds = (performance.now() - began) / 1000;
  return summary;
}

/** Counts (and reports) the events of a valid packet that the EFU keeps: TOF rules as in `event_former.ts`. */
function countExpected(
  o: GeneratorOptions,
  family: FamilyInstance,
  h: PacketHeader,
  events: { pixel: Int32Array; tof: Int32Array },
  from: number,
  to: number,
  onEvent?: ExpectedEvent,
): number {
  const probe = new DataView(new ArrayBuffer(64));
  const pulseNs = essTimeNs(h.pulseHigh, h.pulseLow);
  let n = 0;
  for (let i = from; i < to; i++) {
    if (!family.write(probe, 0, events.pixel[i], 0, 0)) continue;
    const t = addNs(h.pulseHigh, h.pulseLow, events.tof[i]);
    let tof = tofNs(t.high, t.low, h.pulseHigh, h.pulseLow);
    if (tof < 0) tof = tofNs(t.high, t.low, h.prevPulseHigh, h.prevPulseLow);
    if (tof < 0 || tof > o.detector.maxTofNs) continue;
    n++;
    onEvent?.(pulseNs, events.pixel[i], tof);
  }
  return n;
}
