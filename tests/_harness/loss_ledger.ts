/**
 * The loss side of a soak: what the simulator sent to one EFU and Kafka never got, against what that EFU counted
 * lost. Events the EFU held and lost are in its counters (`events.lost`, `events.dropped`, `produce.lost_events`,
 * `produce.dropped_events`); datagrams it never formed (not received, or rejected by the header checks, which the soak
 * does not provoke) it names in its log by sequence number (formation's `missed datagrams` lines), and the simulator's
 * record of each pulse's packets says how many readouts each held.
 * Accounted to the event when `sentNotInKafka` equals `countedEvents + missedEvents`.
 *
 * @module
 */
import type { PulsePackets, PulseRecord } from "../../protocols/sim.ts";

/** The EFU counters that count events lost after they were received. */
export const EVENT_LOSS_COUNTERS = ["events.lost", "events.dropped", "produce.lost_events", "produce.dropped_events"];

/** One datagram gap an EFU logged: output queue, first sequence number missed, count, pulse ns of the packet after. */
export interface LoggedGap {
  queue: number;
  first: number;
  count: number;
  beforePulseNs: bigint;
}

/** The gaps logged by the formation actor `actor` (e.g. `root/efu/detector/formation`) in `lines`. */
export function loggedGaps(lines: string[], actor: string): { gaps: LoggedGap[]; unnamedLines: string[] } {
  const gaps: LoggedGap[] = [];
  const unnamedLines: string[] = [];
  for (const line of lines) {
    if (!line.startsWith(`${actor}: missed `)) continue;
    const m = line.match(/ (\d+):(\d+)\+(\d+)@(\d+)$/);
    if (m) gaps.push({ queue: +m[1], first: +m[2], count: +m[3], beforePulseNs: BigInt(m[4]) });
    else unnamedLines.push(line);
  }
  return { gaps, unnamedLines };
}

/** What one EFU lost, and how much of it its counters and gap lines account for. */
export interface LossLedger {
  pulses: number;
  sent: number;
  inKafka: number;
  sentNotInKafka: number;
  /** the event loss counters' increase over the soak. */
  counted: Record<string, number>;
  countedEvents: number;
  /**
   * datagrams named in gap lines of the window's pulses, the readouts they held, and the datagrams of pulses the sim
   * sent but the test never saw (sent just before a sim crash, before its stats were polled): those pulses are left
   * out on both sides.
   */
  missedDatagrams: number;
  missedEvents: number;
  unmatchedDatagrams: number;
  /** sentNotInKafka − countedEvents − missedEvents: 0 when every lost event is accounted for. */
  unaccounted: number;
  /** pulses with more events in Kafka than were sent (a duplicate that could hide a loss): `pulse: kafka/sent`. */
  overSent: string[];
  /** the first pulses whose loss no gap explains (`pulse: sent/kafka/in gaps`), to look for the cause. */
  unexplained: string[];
}

/**
 * Accounts the losses of one EFU over the pulses of `pulses` that are `inWindow` (the simulator's records; `packetsOf`
 * picks this EFU's packets), given the events Kafka has per pulse, the increase of its counters over the window, and
 * its gaps (a gap's datagrams count when their pulse is in the window).
 */
export function lossLedger(
  pulses: PulseRecord[],
  inWindow: (p: PulseRecord) => boolean,
  packetsOf: (p: PulseRecord) => PulsePackets,
  inKafkaPerPulse: Map<string, number>,
  counters: Record<string, number>,
  gaps: LoggedGap[],
): LossLedger {
  let [sent, inKafka] = [0, 0];
  const overSent: string[] = [];
  for (const p of pulses.filter(inWindow)) {
    const [s, k] = [sumOf(packetsOf(p)), inKafkaPerPulse.get(p.pulseNs) ?? 0];
    sent += s;
    inKafka += k;
    if (k > s) overSent.push(`${p.pulseNs}: ${k}/${s}`);
  }
  const counted = Object.fromEntries(EVENT_LOSS_COUNTERS.map((c) => [c, counters[c] ?? 0]));
  const countedEvents = Object.values(counted).reduce((a, b) => a + b, 0);
  // a sequence number repeats after a simulator restart: a gap's datagram is in the latest pulse before the packet
  // that showed the gap
  const byTime = [...pulses].sort((a, b) => (BigInt(a.pulseNs) < BigInt(b.pulseNs) ? 1 : -1));
  let [missedDatagrams, missedEvents, unmatchedDatagrams] = [0, 0, 0];
  const missedIn = new Map<string, number>();
  for (const g of gaps.filter((g) => g.queue === 0)) {
    for (let i = 0; i < g.count; i++) {
      const seq = (g.first + i) >>> 0;
      const p = byTime.find((p) => {
        const k = packetsOf(p);
        return BigInt(p.pulseNs) <= g.beforePulseNs && ((seq - k.firstSeq) >>> 0) < k.readouts.length;
      });
      if (p === undefined) unmatchedDatagrams++;
      else if (inWindow(p)) {
        const k = packetsOf(p);
        missedDatagrams++;
        const n = k.readouts[(seq - k.firstSeq) >>> 0];
        missedEvents += n;
        missedIn.set(p.pulseNs, (missedIn.get(p.pulseNs) ?? 0) + n);
      }
    }
  }
  const sentNotInKafka = sent - inKafka;
  const unexplained: string[] = [];
  for (const p of pulses.filter(inWindow)) {
    const [s, k, m] = [sumOf(packetsOf(p)), inKafkaPerPulse.get(p.pulseNs) ?? 0, missedIn.get(p.pulseNs) ?? 0];
    if (s - k !== m && unexplained.length < 20) unexplained.push(`${p.pulseNs}: ${s}/${k}/${m}`);
  }
  return {
    pulses: pulses.filter(inWindow).length,
    sent,
    inKafka,
    sentNotInKafka,
    counted,
    countedEvents,
    missedDatagrams,
    missedEvents,
    unmatchedDatagrams,
    unaccounted: sentNotInKafka - countedEvents - missedEvents,
    overSent,
    unexplained,
  };
}

const sumOf = (k: PulsePackets) => k.readouts.reduce((a, b) => a + b, 0);
