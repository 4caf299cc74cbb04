/**
 * The contract of a writer module: one small module per schema (`actors/writer/modules/<id>.ts`), registered in
 * `registry.ts`, in the manner of ESS kafka-to-nexus's writer modules. A module owns the datasets of one stream in its
 * enclosing NeXus group; the file writer actor routes it the decoded messages of its topic, schema and source that
 * passed the source filter.
 *
 * Crash-resume: at each flush the file writer stores every module's {@linkcode ModuleCheckpoint} in the file together
 * with the Kafka offsets; a replacement writer reopens the module with it, the datasets are cut back to the recorded
 * lengths, and reading resumes from the recorded offsets, so each message ends up in the file exactly once.
 *
 * @module
 */
import type { Group } from "h5wasm/node";
import type { DecodedTable } from "../../../schemas/reader.ts";

/** A JSON value (module state in checkpoints). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What a module must remember across a crash of the file writer: its datasets' lengths and its own state. */
export interface ModuleCheckpoint {
  /** dataset name (relative to the module's group) → rows written. */
  datasets: Record<string, number>;
  state?: Json;
}

/** How a module instance is opened. */
export interface ModuleInit {
  /** the enclosing group, where the module's datasets go. */
  group: Group;
  /** its HDF5 path, for messages. */
  path: string;
  /** the module's `config` object from nexus_structure (with topic and source). */
  config: Record<string, unknown>;
  /** set on crash-resume: reopen the datasets (cut to these lengths) instead of creating them. */
  resume?: ModuleCheckpoint;
}

/** One open stream of a file. */
export interface WriterModule {
  /** Writes one message of the module's schema (already filtered). Throws `ModuleWriteError` for a message it
   * cannot write (wrong shape or type); the file writer counts it and goes on. Returns the bytes written. */
  write(message: DecodedTable): number;
  /** Writes buffered rows to HDF5 (before a file flush or a checkpoint). */
  flush(): void;
  checkpoint(): ModuleCheckpoint;
  /** At file close: derived datasets (f144's minimum/maximum/average_value, ...). Buffered rows are written first. */
  close(): void;
}

/** A writer module type. */
export interface WriterModuleType {
  /** the module name in nexus_structure (`"module": "f144"`). */
  id: string;
  /** the flatbuffer file identifier of the messages it writes. */
  schema: string;
  /** Where a decoded message of `schema` keeps its source name and its time (ns), as kafka-to-nexus's metadata
   * extractors read them: the key of the source filters and the time they filter on. */
  sourceAndTime: (message: DecodedTable) => { source: unknown; time: unknown };
  /** NX_class given to the enclosing group when it has none. */
  nxClass: string;
  /** whether repeated flatbuffer timestamps are written (only events) rather than dropped. */
  acceptsRepeatedTimestamps: boolean;
  /** whether the pre-start "last known value" is written (false for events: buffered messages are discarded). */
  writesLastKnownValue: boolean;
  /** config keys it understands besides `topic`, `source` and `writer_module`; others are logged, not fatal. */
  configKeys: readonly string[];
  /** companion modules added on the same topic and source (f144 → al00 + ep01), with the config switch of each. */
  companions?: readonly { module: string; enabledBy: string }[];
  /** Checks the config and creates (or on resume reopens) the datasets. Throws `ModuleConfigError`: the job does
   * not start (500). */
  open(init: ModuleInit): WriterModule;
}

/** The source and time of a message that has them in `source_name` and `timestamp` (f144, al00, ep01, ...). */
export const sourceNameAndTimestamp = (m: DecodedTable): { source: unknown; time: unknown } => ({
  source: m.source_name,
  time: m.timestamp,
});

/** A module config that cannot be used. */
export class ModuleConfigError extends Error {
  override name = "ModuleConfigError";
}

/** A message a module cannot write. */
export class ModuleWriteError extends Error {
  override name = "ModuleWriteError";
}
