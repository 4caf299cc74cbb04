/**
 * The forwarder role's protocols (`actors/forwarder/`): the config actor, the PV monitor groups and the serialiser,
 * and the direct channels between them. Types only.
 *
 * ```text
 * config consumer ─(batches)─▶ config ─(assign_<i>)─▶ monitor_<i> ─(pvs_<i>)─▶ serialiser ─(records)─▶ producer
 *                               config ─(streams)──────────────────────────────▶ serialiser
 * ```
 *
 * @module
 */
import type { NumericArray } from "./arrays.ts";
import type { ConsumerLink, ProducerLink } from "./broker.ts";
import type { None } from "./runtime.ts";

/** An output schema the forwarder can publish for a PV (the `nttable_*` ones for PVA NTTables only). */
export type OutputSchema = "f144" | "f142" | "tdct" | "al00" | "ep01" | "nttable_se00" | "nttable_senv";

/** The EPICS protocol of a stream (fc00's enum; PVA when absent). CA and PVA are monitored; FAKE is rejected. */
export type StreamProtocol = "PVA" | "CA" | "FAKE";

/** A pvData scalar type, as a PVA update's value has it. */
export type PvaScalarType =
  | "boolean"
  | "byte"
  | "ubyte"
  | "short"
  | "ushort"
  | "int"
  | "uint"
  | "long"
  | "ulong"
  | "float"
  | "double"
  | "string";

/** The typed arrays PVA numeric arrays arrive as. */
export type PvaArray = NumericArray;

/** One pvAccess monitor update of a normative type, as the monitor group reads it (`actors/forwarder/pva/`). */
export interface PvaUpdate {
  protocol: "PVA";
  /** NTScalar/NTScalarArray: the value's type; NTEnum: "int" (the index); NTTable: the `value` column's type. */
  type: PvaScalarType;
  /** a scalar, an array, or for NTTable the `value` column. */
  value: number | bigint | boolean | string | PvaArray | string[] | boolean[];
  /** whether the value is an array (NTScalarArray, NTTable). */
  array: boolean;
  /** NTTable only: the `timestamp` column, as int64. */
  timestamps?: BigInt64Array;
  /** EPICS alarm severity 0..3 (4 = undefined), status 0..7 and message (alarm_t). */
  severity: number;
  status: number;
  message: string;
  /** EPICS timestamp, ns since the Unix epoch. */
  timestampNs: bigint;
}

/** The native type of a Channel Access PV (DBR_STRING … DBR_DOUBLE). */
export type CaType = "string" | "short" | "float" | "enum" | "char" | "long" | "double";

/** The typed arrays CA waveforms arrive as. */
export type CaArray = Int16Array | Float32Array | Uint16Array | Uint8Array | Int32Array | Float64Array;

/** One Channel Access monitor update (`DBR_TIME_<type>`), as the monitor group reads it (`actors/forwarder/ca/`). */
export interface CaUpdate {
  type: CaType;
  /** one number (enum: the state index), one string, or the array of a PV whose native count is above 1. */
  value: number | string | CaArray | string[];
  /** EPICS alarm severity 0..3 and status (index into EPICS's alarm condition names). */
  severity: number;
  status: number;
  /** EPICS timestamp, ns since the Unix epoch. */
  timestampNs: bigint;
  /** whether the PV holds an array (native element count > 1) rather than a scalar. */
  array: boolean;
}

/** One configured stream: a PV forwarded in one schema to one topic. */
export interface Stream {
  channel: string;
  schema: OutputSchema;
  topic: string;
  protocol: StreamProtocol;
  /** non-zero: re-send the last value at the forwarder's global period. */
  periodic: number;
}

/** Config ↔ monitor group `<i>`, over channel `assign_<i>`. */
export type AssignLink =
  /** a monitor group (re)started: the config actor answers with its current assignment. */
  | { type: "hello" }
  /** the full set of PVs this group monitors: `pvs` over Channel Access, `pva` over pvAccess. */
  | { type: "assign"; pvs: string[]; pva: string[] };

/** Something a PV did, as a monitor group reports it. */
export type PvEvent =
  | { type: "connection"; pv: string; connected: boolean; timeMs: number }
  | { type: "update"; pv: string; update: CaUpdate | PvaUpdate }
  /** a channel that is up but cannot be forwarded (an unsupported PVA type, a failed CA update); counted. */
  | { type: "error"; pv: string; message: string };

/** Monitor group `<i>` ↔ serialiser, over channel `pvs_<i>`. */
export type PvLink =
  /** a monitor group (re)started: its PVs are disconnected until they report again. */
  | { type: "hello" }
  /** what the group's PVs did since its last batch, in order (one message per batch its clients delivered). */
  | { type: "events"; events: PvEvent[] }
  /**
   * serialiser → group: `events` more events are done with and Kafka's producer has room. A group holds back its
   * pvAccess acks and turns its CA circuits' events off while too many of its events are not done with, so a slow
   * Kafka slows the servers (they merge updates) instead of growing memory.
   */
  | { type: "processed"; events: number };

/** Config → serialiser, over channel `streams`. */
export type StreamsLink =
  /** the full current set of streams; `changed`: after a config change (persist it and send status now). */
  | { type: "streams"; streams: Stream[]; changed: boolean }
  /** the serialiser (re)started and needs the current set. */
  | { type: "hello" };

/** Counters of the config actor. */
export interface ConfigStats {
  streams: number;
  /** fc00 messages applied. */
  applied: number;
  /** config topic messages that were not fc00, or broken. */
  rejectedMessages: number;
  /** streams skipped (missing fields, unsupported protocol or schema, duplicates, no match). */
  rejectedStreams: number;
  /** storage topic messages skipped while restoring. */
  storageJunk: number;
  /** config topic messages from before the forwarder started, not applied (the stored set holds their effect). */
  beforeStart: number;
  restored: boolean;
}

/** The config actor (`actors/forwarder/config.ts`). */
export interface ConfigProtocol {
  in: None;
  requests: { stats: { request: null; reply: ConfigStats & { list: Stream[] } } };
  out: { type: "log"; level: "info" | "warn"; message: string };
  ports: { batches: ConsumerLink; streams: StreamsLink } & {
    [name: `assign_${number}`]: AssignLink;
  };
}

/** Figures of a monitor group. */
export interface MonitorStats {
  pvs: number;
  connected: number;
  updates: number;
  /** pvAccess: connections dropped for breaking the protocol (malformed frames, unknown types). */
  pvaProtocolErrors: number;
  /** pvAccess: undecodable search datagrams. */
  pvaBadDatagrams: number;
  /** pvAccess: updates of a type that cannot be forwarded (reported to the serialiser as errors). */
  pvaUnsupported: number;
  /** Channel Access: circuits dropped because their server broke the protocol (malformed frames, unknown types). */
  caProtocolErrors: number;
  /** Channel Access: undecodable search replies. */
  caBadDatagrams: number;
}

/** A PV monitor group (`actors/forwarder/pv_monitor.ts`). */
export interface MonitorProtocol {
  in: None;
  requests: { stats: { request: null; reply: MonitorStats } };
  out: None;
  ports: { [name: `assign_${number}` | `pvs_${number}`]: AssignLink | PvLink };
}

/** Counters of the serialiser, also in the x5f2 status. */
export interface SerialiserStats {
  /** PVs with at least one stream. */
  pvsSubscribed: number;
  pvsConnected: number;
  /** messages handed to the producer, by kind. */
  forwarded: number;
  periodic: number;
  /** acknowledged by Kafka. */
  acked: number;
  /** updates dropped by the timestamp filter. */
  droppedTimestamps: number;
  /** updates that cannot be put into their schema (e.g. a string PV for f144). */
  processingErrors: number;
  sendErrors: number;
  /** mean time from handing a record to the producer to its acknowledgement, ms. */
  sendLatencyMs: number;
}

/** The serialiser (`actors/forwarder/serialiser.ts`). */
export interface SerialiserProtocol {
  in: None;
  requests: { stats: { request: null; reply: SerialiserStats } };
  out: { type: "log"; level: "info" | "warn"; message: string };
  ports: { records: ProducerLink; streams: StreamsLink } & { [name: `pvs_${number}`]: PvLink };
}

/** The fc00 sender of `nxflow forwarder-config` (`actors/forwarder/command_sender.ts`). */
export interface CommandSenderProtocol {
  in: None;
  requests: {
    /** produces one message and replies once Kafka acknowledged it; rejects if it cannot be produced. */
    send: { request: { topic: string; value: Uint8Array }; reply: null };
  };
  out: None;
  ports: { records: ProducerLink };
}

/** What the storage reader found: the stream set of the last fc00 on the storage topic. */
export interface StoredStreams {
  /** null when the topic holds no fc00. */
  streams: Stream[] | null;
  /** records that were not fc00 (skipped). */
  junk: number;
  /** streams of the stored message that could not be applied, with the reason. */
  skipped: string[];
}

/** The storage topic reader of `nxflow forwarder-config list` (`actors/forwarder/storage_reader.ts`). */
export interface StorageReaderProtocol {
  in: None;
  requests: {
    /** replies once partition 0 of the storage topic was read to its end. */
    list: { request: null; reply: StoredStreams };
  };
  out: None;
  ports: { batches: ConsumerLink };
}
