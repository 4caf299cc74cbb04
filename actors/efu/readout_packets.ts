/**
 * Builds ESS readout packets (header v0/v1 plus a family's readouts) and spoils them on request, for the readout
 * generator and the tests. Pure code: no I/O.
 *
 * @module
 */
import { COOKIE, ESS_CLOCK_HZ, HEADER_BYTES, MAX_PAYLOAD } from "./ess_header.ts";
import type { FamilyInstance } from "./families/registry.ts";

/** The header fields of one packet. */
export interface PacketHeader {
  version: 0 | 1;
  type: number;
  outputQueue: number;
  timeSource: number;
  seq: number;
  pulseHigh: number;
  pulseLow: number;
  prevPulseHigh: number;
  prevPulseLow: number;
}

/** Faults the generator can inject; each spoils one packet in a way the EFU must count. */
export const FAULTS = ["cookie", "length", "truncated", "seqgap", "timesource"] as const;
/** One fault kind. */
export type Fault = typeof FAULTS[number];

/** The counter each fault increments in the EFU. */
export const FAULT_COUNTER: Record<Fault, string> = {
  cookie: "parser.essheader.errors.cookie",
  length: "parser.essheader.errors.size",
  truncated: "parser.essheader.errors.size",
  seqgap: "parser.essheader.errors.seqno",
  timesource: "parser.essheader.errors.timing",
};

/** ESS time (seconds, ticks) of `ns` nanoseconds since the epoch. */
export function essTimeOf(ns: bigint): { high: number; low: number } {
  const high = ns / 1_000_000_000n;
  const rest = Number(ns - high * 1_000_000_000n);
  return { high: Number(high), low: Math.min(Math.round((rest * ESS_CLOCK_HZ) / 1e9), ESS_CLOCK_HZ - 1) };
}

/** Adds `tofNs` to an ESS time, in ticks with carry. */
export function addNs(high: number, low: number, tofNs: number): { high: number; low: number } {
  const ticks = low + Math.round((tofNs * ESS_CLOCK_HZ) / 1e9);
  const carry = Math.floor(ticks / ESS_CLOCK_HZ);
  return { high: high + carry, low: ticks - carry * ESS_CLOCK_HZ };
}

/** Readouts of `family` that fit in a packet of at most `packetBytes` with a header of `version`. */
export function readoutsPerPacket(family: FamilyInstance, version: 0 | 1, packetBytes = MAX_PAYLOAD): number {
  return Math.floor((Math.min(packetBytes, MAX_PAYLOAD) - HEADER_BYTES[version]) / family.readoutBytes);
}

/** Writes a header into `view` for a packet of `total` bytes. */
export function writeHeader(view: DataView, h: PacketHeader, total: number): void {
  view.setUint8(0, 0);
  view.setUint8(1, h.version);
  view.setUint32(2, COOKIE | (h.type << 24), true);
  view.setUint16(6, total, true);
  view.setUint8(8, h.outputQueue);
  view.setUint8(9, h.timeSource);
  view.setUint32(10, h.pulseHigh, true);
  view.setUint32(14, h.pulseLow, true);
  view.setUint32(18, h.prevPulseHigh, true);
  view.setUint32(22, h.prevPulseLow, true);
  view.setUint32(26, h.seq, true);
  if (h.version === 1) view.setUint16(30, 0, true);
}

/**
 * Builds one packet holding the events `pixel[i]`, `tof[i]` for i in [from, to) (each written as a readout timed
 * pulse + tof). Returns the packet and how many events were written (events whose pixel has no exact readout are
 * skipped, see `FamilyInstance.write`).
 */
export function buildPacket(
  family: FamilyInstance,
  h: PacketHeader,
  pixel: ArrayLike<number>,
  tof: ArrayLike<number>,
  from: number,
  to: number,
): { packet: Uint8Array; written: number } {
  const size = HEADER_BYTES[h.version];
  const packet = new Uint8Array(size + (to - from) * family.readoutBytes);
  const view = new DataView(packet.buffer);
  let offset = size;
  for (let i = from; i < to; i++) {
    const t = addNs(h.pulseHigh, h.pulseLow, tof[i]);
    if (family.write(view, offset, pixel[i], t.high, t.low)) offset += family.readoutBytes;
  }
  const out = packet.subarray(0, offset);
  writeHeader(view, h, offset);
  return { packet: out, written: (offset - size) / family.readoutBytes };
}

/** The header of a packet of the pulse at `pulse` (ESS time), the previous pulse one period earlier. */
export function pulseHeader(
  type: number,
  version: 0 | 1,
  seq: number,
  pulse: { high: number; low: number },
  periodNs: number,
): PacketHeader {
  const prev = addNs(pulse.high, pulse.low, -periodNs);
  return {
    version,
    type,
    outputQueue: 0,
    timeSource: 0,
    seq: seq >>> 0,
    pulseHigh: pulse.high,
    pulseLow: pulse.low,
    prevPulseHigh: prev.high,
    prevPulseLow: prev.low,
  };
}

/**
 * Builds the packets of one pulse holding the events [0, n) of `pixel`/`tof`, at most `perPacket` readouts each
 * ({@linkcode buildPacket}), numbered from `h.seq` on. Returns them and how many readouts they hold.
 */
export function buildPulse(
  family: FamilyInstance,
  h: PacketHeader,
  pixel: ArrayLike<number>,
  tof: ArrayLike<number>,
  n: number,
  perPacket: number,
): { packets: Uint8Array[]; written: number; readouts: number[] } {
  const packets: Uint8Array[] = [];
  const readouts: number[] = [];
  for (let from = 0, seq = h.seq; from < n; from += perPacket, seq++) {
    const b = buildPacket(family, { ...h, seq: seq >>> 0 }, pixel, tof, from, Math.min(from + perPacket, n));
    packets.push(b.packet);
    readouts.push(b.written);
  }
  return { packets, written: readouts.reduce((a, b) => a + b, 0), readouts };
}

/** Spoils a built packet with `fault`; returns the bytes to send (a seqgap is made by the caller's numbering). */
export function spoil(packet: Uint8Array, fault: Fault): Uint8Array {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  switch (fault) {
    case "cookie":
      packet[2] ^= 0xff;
      return packet;
    case "length":
      view.setUint16(6, packet.length + 1, true);
      return packet;
    case "truncated":
      return packet.subarray(0, Math.max(5, packet.length - 7));
    case "timesource":
      packet[9] = 0b10;
      return packet;
    case "seqgap":
      return packet;
  }
}
