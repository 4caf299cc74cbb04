/**
 * The datasets of a writer module: the standard NeXus time and cue datasets, a module's set of appendable datasets
 * (created, or reopened and cut back on crash-resume), the module state kept in checkpoints, and
 * {@linkcode DatasetsModule}, the base of every module, which flushes, checkpoints and closes them.
 *
 * @module
 */
import { AppendDataset, type AppendSpec } from "../hdf/append.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import { type Json, type ModuleCheckpoint, ModuleConfigError, type ModuleInit, type WriterModule } from "./module.ts";

/** The attributes of NeXus time datasets: ns since the Unix epoch. */
export const TIME_ATTRS: Record<string, string> = { start: "1970-01-01T00:00:00Z", units: "ns" };

/** The "never" cue interval: uint64 max. */
export const CUE_NEVER = 2 ** 64 - 1;

/** A `time`-like dataset: uint64 ns with `start` and `units`. */
export function timeSpec(chunkRows: number): AppendSpec {
  return { dtype: "uint64", chunkRows, attrs: TIME_ATTRS };
}

/** The `cue_index` (int64) and `cue_timestamp_zero` (int64 ns with `start` and `units`) datasets. */
export function cueSpecs(chunkRows: number): Record<string, AppendSpec> {
  return {
    cue_index: { dtype: "int64", chunkRows },
    cue_timestamp_zero: { dtype: "int64", chunkRows, attrs: TIME_ATTRS },
  };
}

/** An NXlog's `time` dataset with its cues ({@linkcode timeSpec} and {@linkcode cueSpecs}), all chunked alike. */
export function timeAndCueSpecs(chunkRows: number): Record<string, AppendSpec> {
  return { time: timeSpec(chunkRows), ...cueSpecs(chunkRows) };
}

/** The appendable datasets of one module instance, by name. */
export class Datasets {
  readonly #sets = new Map<string, AppendDataset>();

  /** Creates every dataset of `specs` in `init.group`, or on resume reopens each at its checkpointed length. Throws
   * `ModuleConfigError` when a dataset cannot be created (one of that name exists) or reopened. */
  constructor(init: ModuleInit, specs: Record<string, AppendSpec>) {
    for (const [name, spec] of Object.entries(specs)) this.#sets.set(name, openDataset(init, name, spec));
  }

  /** The dataset called `name` (one of the specs). */
  get(name: string): AppendDataset {
    const ds = this.#sets.get(name);
    if (!ds) throw new Error(`no dataset ${name} in this module`);
    return ds;
  }

  /** Appends one cue: `cue_index` ← `index`, `cue_timestamp_zero` ← `timestamp`; returns the bytes written. */
  cue(index: number, timestamp: bigint): number {
    return this.get("cue_index").append([BigInt(index)]) + this.get("cue_timestamp_zero").append([timestamp]);
  }

  /** Writes every dataset's buffered rows. */
  flush(): void {
    for (const ds of this.#sets.values()) ds.flush();
  }

  /** Flushes, then records every dataset's length with the module's `state`. */
  checkpoint(state?: Json): ModuleCheckpoint {
    this.flush();
    const datasets: Record<string, number> = {};
    for (const [name, ds] of this.#sets) datasets[name] = ds.rows;
    return state === undefined ? { datasets } : { datasets, state };
  }
}

function openDataset(init: ModuleInit, name: string, spec: AppendSpec): AppendDataset {
  try {
    if (!init.resume) {
      if (init.group.keys().includes(name)) throw new ModuleConfigError(`${init.path}/${name} already exists`);
      return AppendDataset.create(init.group, name, spec);
    }
    const rows = init.resume.datasets[name];
    if (rows === undefined) throw new ModuleConfigError(`${init.path}: the checkpoint has no length for ${name}`);
    return AppendDataset.reopen(init.group, name, spec, rows);
  } catch (error) {
    if (error instanceof ModuleConfigError) throw error;
    throw new ModuleConfigError(`${init.path}/${name}: ${(error as Error).message}`);
  }
}

/**
 * The base of the writer modules: a module writing into one set of {@linkcode Datasets}. Flushing, checkpointing
 * (the datasets' lengths with {@linkcode DatasetsModule.state}) and closing are those of its datasets; a module adds
 * `write`, and overrides `state` and `close` when it keeps state or writes datasets at close.
 */
export abstract class DatasetsModule implements WriterModule {
  /** the module's datasets. */
  protected readonly d: Datasets;

  /** Creates (or on resume reopens) the datasets of `specs`; see {@linkcode Datasets}. */
  constructor(init: ModuleInit, specs: Record<string, AppendSpec>) {
    this.d = new Datasets(init, specs);
  }

  /** Writes one message; see {@linkcode WriterModule.write}. */
  abstract write(message: DecodedTable): number;

  /** Writes the datasets' buffered rows. */
  flush(): void {
    this.d.flush();
  }

  /** The datasets' lengths and the module's {@linkcode DatasetsModule.state}. */
  checkpoint(): ModuleCheckpoint {
    return this.d.checkpoint(this.state());
  }

  /** Writes the buffered rows; a module with close-time datasets writes them after this. */
  close(): void {
    this.d.flush();
  }

  /** The module's own state for checkpoints: none unless a module keeps some. */
  protected state(): Json | undefined {
    return undefined;
  }
}

/** The module state of a resumed instance as an object ({} when none). */
export function resumedState(init: ModuleInit): Record<string, Json> {
  const state = init.resume?.state;
  return state !== null && typeof state === "object" && !Array.isArray(state) ? state : {};
}

/** A number from a resumed state, or `fallback` when absent. */
export function stateNumber(state: Record<string, Json>, key: string, fallback: number): number {
  const value = state[key];
  return typeof value === "number" ? value : fallback;
}

/**
 * One `time` row per message, and a cue every `interval` messages (`cue_index` ← that row, `cue_timestamp_zero` ← its
 * time), as f144, f142, ad00 and da00 write them.
 */
export class CuedTimes {
  readonly #d: Datasets;
  readonly #interval: number;
  #since: number;

  /** Appends to the `time` and cue datasets of `d`; `since` messages were written since the last cue (resume). */
  constructor(d: Datasets, interval: number, since: number) {
    this.#d = d;
    this.#interval = interval;
    this.#since = since;
  }

  /** Messages written since the last cue (for checkpoints). */
  get since(): number {
    return this.#since;
  }

  /** Appends the time of one message, and a cue when it is due; returns the bytes written. */
  append(timestamp: bigint): number {
    const time = this.#d.get("time");
    const bytes = time.append([timestamp]);
    if (++this.#since < this.#interval) return bytes;
    this.#since = 0;
    return bytes + this.#d.cue(time.rows - 1, timestamp);
  }
}
