/**
 * The loss side of a soak: what the simulator sent to one EFU and Kafka never got, against what that EFU counted
 * lost. Events the EFU held and lost are in its counters (`events.lost`, `events.dropped`, `produce.lost_events`,
 * `produce.dropped_events`); datagrams it never received it names in its log by sequence number (formation's
 * `missed datagrams` lines), and the simulator's record of each pulse's packets says how many readouts each held.
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
  /** datagrams named in gap lines, the readouts they held, and the ones no known pulse holds. */
  missedDatagrams: number;
  missedEvents: number;
  unmatchedDatagrams: number;
  /** sentNotInKafka − countedEvents − missedEvents: 0 when every lost event is accounted for. */
  unaccounted: number;
}

/**
 * Accounts the losses of one EFU over the pulses of `pulses` (the simulator's records; `packetsOf` picks this EFU's
 * packets and `sentOf` its events), given the events Kafka has per pulse, the increase of its counters, and its gaps.
 */
export function lossLedger(
  pulses: PulseRecord[],
  packetsOf: (p: PulseRecord) => PulsePackets,
  inKafkaPerPulse: Map<string, number>,
  counters: Record<string, number>,
  gaps: LoggedGap[],
): LossLedger {
  let [sent, inKafka] = [0, 0];
  for (const p of pulses) {
    sent += packetsOf(p).readouts.reduce((a, b) => a + b, 0);
    inKafka += inKafkaPerPulse.get(p.pulseNs) ?? 0;
  }
  const counted = Object.fromEntries(EVENT_LOSS_COUNTERS.map((c) => [c, counters[c] ?? 0]));
  const countedEvents = Object.values(counted).reduce((a, b) => a + b, 0);
  // a sequence number repeats after a simulator restart: a gap's datagram is in the latest pulse before the packet
  // that showed the gap
  const byTime = [...pulses].sort((a, b) => (BigInt(a.pulseNs) < BigInt(b.pulseNs) ? 1 : -1));
  let [missedDatagrams, missedEvents, unmatchedDatagrams] = [0, 0, 0];
  for (const g of gaps.filter((g) => g.queue === 0)) {
    for (let i = 0; i < g.count; i++) {
      const seq = (g.first + i) >>> 0;
      missedDatagrams++;
      const p = byTime.find((p) => {
        const k = packetsOf(p);
        return BigInt(p.pulseNs) <= g.beforePulseNs && ((seq - k.firstSeq) >>> 0) < k.readouts.length;
      });
      if (p === undefined) unmatchedDatagrams++;
      else {
        const k = packetsOf(p);
        missedEvents += k.readouts[(seq - k.firstSeq) >>> 0];
      }
    }
  }
  const sentNotInKafka = sent - inKafka;
  return {
    pulses: pulses.length,
    sent,
    inKafka,
    sentNotInKafka,
    counted,
    countedEvents,
    missedDatagrams,
    missedEvents,
    unmatchedDatagrams,
    unaccounted: sentNotInKafka - countedEvents - missedEvents,
  };
}
