/**
 * The sim's detector: at every pulse (14 Hz, pulse time = now in ESS time) it draws the pulse's neutron events with
 * the physical shape of `neutrons.ts` — shaped by the instrument state the CA server sends through the `instrument`
 * channel (sample temperature, beam current, shutter) — and sends them as ESS readout packets over UDP, built by the
 * readout generator's packet builder (`actors/efu/readout_packets.ts`): CAEN/BIFROST readouts to the detector EFU,
 * CBM readouts to the beam monitor EFU. Counts what it sends per pulse (`stats`). A destination port of -1 is off.
 * Speaks protocols/sim.ts. Restart: permanent; the sequence numbers go on from the predecessor's (`sequenceStore`), as
 * a readout master's do when only its software restarts, so the EFU sees a gap only for datagrams it missed.
 *
 * @module
 */
import type {
  DetectorProtocol,
  DetectorStats,
  InstrumentState,
  PulsePackets,
  PulseRecord,
} from "../../protocols/sim.ts";
import { seededRandom } from "../common/seeded_random.ts";
import { type DetectorConfig, familyOf } from "../efu/detector_config.ts";
import { essTimeNs } from "../efu/ess_header.ts";
import { buildPulse, essTimeOf, pulseHeader, readoutsPerPacket } from "../efu/readout_packets.ts";
import type { FamilyInstance } from "../efu/families/registry.ts";
import { defineActor } from "../runtime/actor.ts";
import { bifrostWeight, detectorEvents, monitorEvents, NeutronShape } from "./neutrons.ts";

/** Configuration of the detector. */
export interface DetectorActorConfig {
  /** CAEN detector config (BIFROST geometry) and beam monitor config (CBM). */
  detector: DetectorConfig;
  monitor: DetectorConfig;
  host: string;
  /** UDP ports of the detector EFU and the beam monitor EFU; -1 = do not send. */
  detectorPort: number;
  monitorPort: number;
  /** detector events per second (with the shutter open). */
  eventRate: number;
  /** beam monitor events per second per mA of beam current. */
  monitorPerMa: number;
  pulseHz: number;
  seed: number;
  /** the next sequence number of the detector and the monitor stream (8 bytes), kept across restarts. */
  sequenceStore?: SharedArrayBuffer;
}

interface Stream {
  family: FamilyInstance;
  shape: NeutronShape;
  to: Deno.NetAddr;
  perPacket: number;
  /** the next sequence number is `seqs[seqIndex]` (in memory that outlives the actor). */
  seqs: Uint32Array;
  seqIndex: number;
  pixel: Int32Array;
  tof: Int32Array;
}

interface State extends DetectorStats {
  config: DetectorActorConfig;
  socket: Deno.DatagramConn;
  detector: Stream | null;
  monitor: Stream | null;
  carry: { detector: number; monitor: number };
  timer: ReturnType<typeof setInterval>;
}

const RECENT = 256;

function stream(
  c: DetectorActorConfig,
  config: DetectorConfig,
  port: number,
  weight: (p: number) => number,
  seqIndex: number,
) {
  if (port < 0) return null;
  const family = familyOf(config);
  return {
    family,
    shape: new NeutronShape(family, weight, seededRandom(c.seed + port)),
    to: { transport: "udp", hostname: c.host, port },
    perPacket: readoutsPerPacket(family, 1),
    seqs: new Uint32Array(c.sequenceStore ?? new ArrayBuffer(8), 0, 2),
    seqIndex,
    pixel: new Int32Array(0),
    tof: new Int32Array(0),
  } satisfies Stream;
}

/** Sends `n` events of one stream as the pulse's packets; returns them (readouts 0 for a packet not sent). */
async function send(
  s: State,
  st: Stream,
  n: number,
  pulse: { high: number; low: number },
  periodNs: number,
): Promise<PulsePackets> {
  const sent: PulsePackets = { firstSeq: st.seqs[st.seqIndex], readouts: [] };
  if (n === 0) return sent;
  const h = pulseHeader(st.family.type, 1, sent.firstSeq, pulse, periodNs);
  const { packets, readouts } = buildPulse(st.family, h, st.pixel, st.tof, n, st.perPacket);
  for (let i = 0; i < packets.length; i++) {
    // a packet's number is used once it is attempted: a successor goes on after the last one sent
    st.seqs[st.seqIndex] = sent.firstSeq + i + 1;
    try {
      await s.socket.send(packets[i], st.to);
      s.bytes += packets[i].length;
      sent.readouts.push(readouts[i]);
    } catch {
      s.sendErrors++;
      sent.readouts.push(0);
    }
  }
  s.packets += packets.length;
  return sent;
}

const sum = (readouts: number[]) => readouts.reduce((a, b) => a + b, 0);

/** How many events a pulse gets at `perSecond`, carrying fractions over to the next pulse. */
function eventsOf(s: State, key: "detector" | "monitor", perSecond: number): number {
  const exact = perSecond / s.config.pulseHz + s.carry[key];
  const n = Math.max(0, Math.floor(exact));
  s.carry[key] = exact - n;
  return n;
}

function grow(st: Stream, n: number): void {
  if (st.pixel.length >= n) return;
  st.pixel = new Int32Array(n);
  st.tof = new Int32Array(n);
}

async function pulse(s: State): Promise<void> {
  const c = s.config;
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const periodNs = Math.round(1e9 / c.pulseHz);
  const at = essTimeOf(nowNs);
  const none = { firstSeq: 0, readouts: [] };
  const record: PulseRecord = {
    pulseNs: "",
    detectorEvents: 0,
    monitorEvents: 0,
    packets: 0,
    detectorPackets: none,
    monitorPackets: none,
  };
  const open = s.state.shutterOpen;
  if (s.detector) {
    const n = eventsOf(s, "detector", open ? c.eventRate : 0);
    grow(s.detector, n);
    detectorEvents(s.detector.shape, n, s.state.temperatureK, periodNs, s.detector.pixel, s.detector.tof);
    record.detectorPackets = await send(s, s.detector, n, at, periodNs);
    record.packets += record.detectorPackets.readouts.length;
    record.detectorEvents = sum(record.detectorPackets.readouts);
  }
  if (s.monitor) {
    const n = eventsOf(s, "monitor", c.monitorPerMa * Math.max(s.state.beamCurrentMa, 0));
    grow(s.monitor, n);
    monitorEvents(s.monitor.shape, n, periodNs, s.monitor.pixel, s.monitor.tof);
    record.monitorPackets = await send(s, s.monitor, n, at, periodNs);
    record.packets += record.monitorPackets.readouts.length;
    record.monitorEvents = sum(record.monitorPackets.readouts);
  }
  // the pulse time as the EFU reads it back from the header (ESS seconds and ticks)
  record.pulseNs = String(essTimeNs(at.high, at.low));
  s.pulses++;
  s.detectorEvents += record.detectorEvents;
  s.monitorEvents += record.monitorEvents;
  s.recent.push(record);
  if (s.recent.length > RECENT) s.recent.shift();
}

export default defineActor<DetectorProtocol, DetectorActorConfig, State>({
  init(config, ctx) {
    const socket = Deno.listenDatagram({ hostname: "0.0.0.0", port: 0, transport: "udp" });
    const s: State = {
      config,
      socket,
      detector: stream(config, config.detector, config.detectorPort, bifrostWeight, 0),
      monitor: stream(config, config.monitor, config.monitorPort, () => 1, 1),
      carry: { detector: 0, monitor: 0 },
      pulses: 0,
      packets: 0,
      bytes: 0,
      detectorEvents: 0,
      monitorEvents: 0,
      sendErrors: 0,
      skippedPulses: 0,
      recent: [],
      state: { type: "state", temperatureK: 295, beamCurrentMa: 2, shutterOpen: true },
      timer: 0 as unknown as ReturnType<typeof setInterval>,
    };
    ctx.port("instrument").onMessage((state: InstrumentState) => void (s.state = state));
    let busy = false;
    s.timer = setInterval(() => {
      if (busy) return void s.skippedPulses++; // a pulse still being sent: skip this one rather than pile up
      busy = true;
      pulse(s).finally(() => (busy = false));
    }, 1000 / config.pulseHz);
    return s;
  },
  requests: {
    stats: (s) => ({
      pulses: s.pulses,
      packets: s.packets,
      bytes: s.bytes,
      detectorEvents: s.detectorEvents,
      monitorEvents: s.monitorEvents,
      sendErrors: s.sendErrors,
      skippedPulses: s.skippedPulses,
      recent: [...s.recent],
      state: s.state,
    }),
  },
  terminate(s) {
    clearInterval(s.timer);
    s.socket.close();
  },
});
