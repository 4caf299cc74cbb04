/**
 * The protocols of the EFU's actors (`actors/efu/`): socket reader → (packets) → formation → (events) → serialiser
 * → (records) → Kafka producer. Every large payload is a transferred buffer. Types only.
 *
 * Flow control: the receiver of each channel acknowledges every batch by its sequence number (`done`), so the sender
 * bounds what is in flight and counts what a crashed peer lost (channels are at-most-once across a restart).
 *
 * @module
 */
import type { ProducerLink } from "./broker.ts";
import type { None } from "./runtime.ts";

/** A batch of datagrams: `data` holds them back to back, `lengths[i]` is the size of the i-th. */
export interface PacketBatch {
  type: "packets";
  /** the sending incarnation (the first number it used) and this batch's number (`actors/efu/flow_window.ts`). */
  from: number;
  seq: number;
  data: Uint8Array;
  lengths: Uint32Array;
}

/** Neutron events formed from one packet batch; `segments` cut them by pulse. */
export interface EventBatch {
  type: "events";
  /** as in {@linkcode PacketBatch}. */
  from: number;
  seq: number;
  /** events in the arrays. */
  count: number;
  tof: Int32Array;
  pixel: Int32Array;
  /** index into the detector's source list. */
  source: Uint16Array;
  /** number of pulse segments. */
  segments: number;
  /** first event of each segment. */
  segmentStart: Uint32Array;
  /** pulse time of each segment, ESS seconds and ticks. */
  pulseHigh: Uint32Array;
  pulseLow: Uint32Array;
}

/** Raw datagrams sampled for the `<topic>_samples` debug topic (ar51), back to back as in {@linkcode PacketBatch}. */
export interface RawSamples {
  type: "samples";
  data: Uint8Array;
  lengths: Uint32Array;
}

/** Receiver → sender on a flow-controlled channel. */
export type FlowAck =
  /** batch `seq` (and every earlier one) has been handled or lost. */
  { type: "done"; seq: number };

/** Counters of an EFU actor, by dotted name. */
export type CounterSnapshot = Record<string, number>;

/** The socket reader (`actors/efu/socket_reader.ts`). */
export interface SocketReaderProtocol {
  in: None;
  requests: { stats: { request: null; reply: CounterSnapshot } };
  out: None;
  ports: { packets: PacketBatch | FlowAck };
}

/** Event formation (`actors/efu/formation.ts`). */
export interface FormationProtocol {
  in: None;
  requests: { stats: { request: null; reply: CounterSnapshot } };
  out: None;
  ports: { packets: PacketBatch | FlowAck; events: EventBatch | RawSamples | FlowAck };
}

/** A status document to publish as x5f2 on the status topic. */
export interface StatusMessage {
  type: "status";
  value: Uint8Array;
}

/** The ev44 serialiser (`actors/efu/serialiser.ts`). */
export interface SerialiserProtocol {
  in: StatusMessage;
  requests: { stats: { request: null; reply: CounterSnapshot } };
  out: None;
  ports: { events: EventBatch | RawSamples | FlowAck; records: ProducerLink };
}
