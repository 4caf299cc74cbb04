/**
 * The sim role's protocols (`actors/sim/`): the CA server actor serves the instrument's PVs and tells the detector
 * actor, through their `instrument` channel, what shapes the neutron data (sample temperature, beam current,
 * shutter); the detector sends ESS readout packets over UDP to EFUs. Types only.
 *
 * @module
 */
import type { None } from "./runtime.ts";

/** The instrument's state, sent by the CA server to the detector once per pulse. */
export interface InstrumentState {
  type: "state";
  temperatureK: number;
  beamCurrentMa: number;
  shutterOpen: boolean;
}

/** Figures of the CA server: counters by name (tcp.*, udp.*, monitor.*, reads, writes) and gauges. */
export interface CaServerStats {
  counters: Record<string, number>;
  /** clients connected now. */
  clients: number;
  /** PVs served. */
  pvs: number;
  /** the TCP/UDP port served. */
  port: number;
  /** why the latest client was dropped (its address and the protocol violation), "" if none was. */
  lastDrop: string;
}

/** The CA server actor (`actors/sim/ca_server.ts`). */
export interface CaServerProtocol {
  in: None;
  requests: { stats: { request: null; reply: CaServerStats } };
  out: None;
  ports: { instrument: InstrumentState };
}

/** What the detector sent for one pulse. */
export interface PulseRecord {
  /** pulse time, ns since the epoch (ESS time of the packets' headers). */
  pulseNs: string;
  /** readouts (= events the EFU forms) sent to the detector EFU, and to the beam monitor EFU. */
  detectorEvents: number;
  monitorEvents: number;
  packets: number;
  /**
   * the pulse's packets to each EFU: the sequence number of the first, and the readouts of each (0 for one whose
   * send failed), so the events of a datagram an EFU missed are known.
   */
  detectorPackets: PulsePackets;
  monitorPackets: PulsePackets;
}

/** The packets of one pulse to one EFU (output queue 0): sequence number of the first, readouts in each. */
export interface PulsePackets {
  firstSeq: number;
  readouts: number[];
}

/** Figures of the detector actor. */
export interface DetectorStats {
  pulses: number;
  packets: number;
  bytes: number;
  detectorEvents: number;
  monitorEvents: number;
  /** send errors (e.g. no route), counted and skipped. */
  sendErrors: number;
  /** pulses not sent because the previous one was still being sent (the machine cannot keep up with the rate). */
  skippedPulses: number;
  /** the latest pulses, oldest first (at most 256). */
  recent: PulseRecord[];
  /** the state the latest pulse was shaped by. */
  state: InstrumentState;
}

/** The detector actor (`actors/sim/detector.ts`). */
export interface DetectorProtocol {
  in: None;
  requests: { stats: { request: null; reply: DetectorStats } };
  out: None;
  ports: { instrument: InstrumentState };
}
