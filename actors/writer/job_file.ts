/**
 * One job's NeXus file while it is written: creates it (static structure, stream modules, links) or reopens it after
 * a crash of its writer, routes each Kafka record through its source filter to its writer modules, stores
 * checkpoints, and finishes the file. Used by the file writer actor (`file_writer.ts`), one per open file.
 *
 * Routing follows kafka-to-nexus: a record is decoded, its schema id, source name and flatbuffer timestamp select
 * the routes `(topic, schema, source)`; each route has a source filter (`source_filter.ts`) and a writer module.
 *
 * **Crash-resume, exactly once.** A checkpoint (root attribute `nxflow_checkpoint`, removed at close) holds, at each
 * flush, the next Kafka offset of every partition, every module's dataset lengths and state, and every source
 * filter's state (with its buffered last-known value). The datasets and the checkpoint are flushed together, so a
 * replacement reopens the file, cuts each dataset back to its checkpoint length, and reads Kafka again from the
 * checkpoint's offsets: what was written after the checkpoint is written once more, and nothing twice.
 *
 * @module
 */
import h5wasm, { type File, type Group } from "h5wasm/node";
import type { ConsumedRecord, Position } from "../../protocols/broker.ts";
import type { JobPlan, JobStats } from "../../protocols/writer.ts";
import { decodeAny } from "../../schemas/registry.ts";
import type { DecodedTable } from "../../schemas/reader.ts";
import {
  closeNexusFile,
  createNexusFile,
  readCheckpoint,
  removeCheckpoint,
  reopenNexusFile,
  writeCheckpoint,
} from "./hdf/file.ts";
import { setStringAttribute } from "./hdf/attributes.ts";
import {
  buildStructure,
  type LinkPlacement,
  type MdatPlacement,
  parseStructure,
  streamsOf,
  writeLinks,
  writeMdat,
} from "./nexus/structure.ts";
import type { ModuleCheckpoint, WriterModule, WriterModuleType } from "./modules/module.ts";
import { sourceAndTime, withCompanions } from "./modules/registry.ts";
import type { Event44Message } from "../../schemas/ev44/codec.ts";
import { EventDedup } from "./event_dedup.ts";
import { emptyStats } from "./job_stats.ts";
import { type FilterCheckpoint, SourceFilter } from "./source_filter.ts";

/** A message as routes keep it: its bytes (for checkpoints) and its decoded form. */
interface Item {
  bytes: Uint8Array;
  message: DecodedTable;
}

interface Route {
  /** stable across restarts: group path, module and source. */
  key: string;
  topic: string;
  type: WriterModuleType;
  module: WriterModule;
  /** one source filter per partition, as kafka-to-nexus has (made when the partition first needs it). */
  filters: Map<number, SourceFilter<Item>>;
}

interface Checkpoint {
  jobId: string;
  offsets: Position[];
  routes: Record<string, { module: ModuleCheckpoint; filters: Record<number, FilterCheckpoint<string>> }>;
  mdat: MdatPlacement[];
  stats: JobStats;
  stopMs: number;
  /** keys of the last ev44 messages written (`event_dedup.ts`); absent in checkpoints of earlier versions. */
  dedup?: string[];
}

const NS_PER_MS = 1_000_000n;

/** An open job file; see the module doc. */
export class JobFile {
  readonly stats: JobStats;
  /** problems worth a log line that did not stop the job (unknown config keys, missing link targets, ...). */
  readonly warnings: string[] = [];
  /** positions recorded at the last checkpoint (resume there). */
  readonly resumeAt: Position[];
  #routes = new Map<string, Route[]>();
  #all: Route[] = [];
  #offsets = new Map<string, Position>();
  /** ev44 messages already seen: a record a restarted producer stored twice is written once. */
  #dedup = new EventDedup();
  #mdat: MdatPlacement[];
  #stopMs: number;

  private constructor(readonly plan: JobPlan, readonly file: File, resume: Checkpoint | null) {
    this.stats = resume ? { ...emptyStats(), ...resume.stats, resumes: resume.stats.resumes + 1 } : emptyStats();
    this.#stopMs = resume?.stopMs ?? plan.stopMs;
    this.#dedup.seed(resume?.dedup ?? []);
    const structure = parseStructure(plan.structure);
    let links: LinkPlacement[] = [];
    if (resume) {
      this.#mdat = resume.mdat;
    } else {
      const built = buildStructure(file, structure, { fileName: plan.path, creator: plan.creator });
      this.#mdat = built.mdat;
      links = built.links;
      this.warnings.push(...built.warnings);
    }
    const { streams, skipped } = streamsOf(structure);
    if (!resume) this.warnings.push(...skipped);
    for (const placement of streams) {
      const group = file.get(placement.groupPath) as Group;
      const topic = String(placement.config.topic);
      const source = String(placement.config.source);
      for (const [i, { type, config }] of withCompanions(placement).entries()) {
        const key = `${placement.groupPath}|${type.id}|${source}`;
        const saved = resume?.routes[key];
        if (i === 0 && !resume) {
          setStringAttribute(group, "NX_class", type.nxClass, { onlyIfMissing: true });
          setStringAttribute(group, "topic", topic);
          setStringAttribute(group, "source", source);
          setStringAttribute(group, "writer_module", type.id);
        }
        const unknown = Object.keys(config).filter((k) =>
          !["topic", "source", "writer_module", ...type.configKeys].includes(k)
        );
        if (unknown.length && !resume) {
          this.warnings.push(`${placement.groupPath} (${type.id}): unknown config keys ${unknown.join(", ")}`);
        }
        const module = type.open({ group, path: placement.groupPath, config, resume: saved?.module });
        const route: Route = { key, topic, type, module, filters: new Map() };
        for (const [partition, filter] of Object.entries(saved?.filters ?? {})) {
          route.filters.set(Number(partition), this.#newFilter(type, restoreFilter(filter)));
        }
        const k = routeKey(topic, type.schema, source);
        this.#routes.set(k, [...(this.#routes.get(k) ?? []), route]);
        this.#all.push(route);
      }
    }
    this.warnings.push(...writeLinks(file, links));
    this.resumeAt = resume?.offsets ?? [];
    for (const p of this.resumeAt) this.#offsets.set(`${p.topic}\u0000${p.partition}`, p);
  }

  /**
   * Creates the job's file, or reopens it when it holds this job's checkpoint (the writer crashed and was restarted).
   *
   * @throws the file exists without this job's checkpoint, cannot be created, or the structure cannot be built.
   */
  static async open(plan: JobPlan): Promise<JobFile> {
    await h5wasm.ready;
    let exists = true;
    try {
      await Deno.stat(plan.path);
    } catch {
      exists = false;
    }
    if (!exists) {
      const file = createNexusFile(plan.path);
      try {
        return new JobFile(plan, file, null);
      } catch (error) {
        // the start fails (500): leave no half-made file behind, so that the same name can be used again
        file.close();
        await Deno.remove(plan.path).catch(() => {});
        throw error;
      }
    }
    const file = reopenNexusFile(plan.path);
    const text = readCheckpoint(file);
    const saved = text ? JSON.parse(text) as Checkpoint : null;
    if (!saved || saved.jobId !== plan.jobId) {
      file.close();
      throw new Error(`a file with that name already exists: ${plan.path}`);
    }
    return new JobFile(plan, file, saved);
  }

  /** The stop time in force (ms). */
  get stopMs(): number {
    return this.#stopMs;
  }

  /** Sets a new stop time on every source filter. */
  setStop(stopMs: number): void {
    this.#stopMs = stopMs;
    for (const r of this.#all) for (const f of r.filters.values()) f.setStop(BigInt(stopMs) * NS_PER_MS);
  }

  /** Whether every source filter of a partition saw its first message after the stop. */
  partitionFinished(topic: string, partition: number): boolean {
    const routes = this.#all.filter((r) => r.topic === topic);
    return routes.length > 0 && routes.every((r) => this.#filter(r, partition).finished);
  }

  #filter(route: Route, partition: number): SourceFilter<Item> {
    let filter = route.filters.get(partition);
    if (!filter) route.filters.set(partition, filter = this.#newFilter(route.type));
    return filter;
  }

  #newFilter(type: WriterModuleType, restore?: FilterCheckpoint<Item>): SourceFilter<Item> {
    const options = {
      startNs: BigInt(this.plan.startMs) * NS_PER_MS,
      stopNs: BigInt(this.#stopMs) * NS_PER_MS,
      acceptsRepeats: type.acceptsRepeatedTimestamps,
      writesLastKnownValue: type.writesLastKnownValue,
    };
    return new SourceFilter<Item>(options, restore);
  }

  /** Decodes, routes, filters and writes one record; bad input is counted, never thrown. */
  write(topic: string, partition: number, record: ConsumedRecord): void {
    this.stats.received++;
    this.#offsets.set(`${topic}\u0000${partition}`, { topic, partition, offset: record.offset + 1 });
    const bytes = record.value;
    let id: string;
    let message: DecodedTable;
    try {
      ({ id, message } = decodeAny(bytes));
    } catch {
      this.stats.badMessages++;
      return;
    }
    const meta = sourceAndTime(id, message);
    if (!meta) {
      this.stats.unrouted++;
      return;
    }
    if (meta.timestampNs === 0n) {
      this.stats.badMessages++;
      return;
    }
    const routes = this.#routes.get(routeKey(topic, id, meta.source));
    if (!routes) {
      this.stats.unrouted++;
      return;
    }
    if (id === "ev44" && this.#dedup.seen(meta.source, message as Event44Message)) {
      this.stats.duplicates++;
      return;
    }
    for (const route of routes) {
      const items = this.#filter(route, partition).offer(meta.timestampNs, { bytes, message });
      if (items.length === 0) this.stats.filtered++;
      for (const item of items) this.#writeItem(route, item);
    }
  }

  #writeItem(route: Route, item: Item): void {
    try {
      this.stats.bytes += route.module.write(item.message);
      this.stats.written++;
      this.stats.events += (item.message as { time_of_flight?: ArrayLike<number> }).time_of_flight?.length ?? 0;
    } catch (error) {
      this.stats.writeErrors++;
      if (this.stats.writeErrors <= 10) this.warnings.push(`${route.key}: ${(error as Error).message}`);
    }
  }

  /** Writes buffered rows and a checkpoint, then flushes the file: what a replacement writer resumes from. */
  checkpoint(): void {
    for (const r of this.#all) r.module.flush();
    const routes: Checkpoint["routes"] = {};
    for (const r of this.#all) {
      const filters: Record<number, FilterCheckpoint<string>> = {};
      for (const [partition, f] of r.filters) filters[partition] = saveFilter(f.checkpoint());
      routes[r.key] = { module: r.module.checkpoint(), filters };
    }
    const saved: Checkpoint = {
      jobId: this.plan.jobId,
      offsets: [...this.#offsets.values()],
      routes,
      mdat: this.#mdat,
      stats: this.stats,
      stopMs: this.#stopMs,
      dedup: this.#dedup.recent(),
    };
    writeCheckpoint(this.file, JSON.stringify(saved));
  }

  /**
   * Finishes the file: the last known values still buffered, the modules' closing datasets, start_time and
   * end_time (`endMs`), then closes it read-only.
   */
  finish(endMs: number): void {
    for (const r of this.#all) {
      for (const f of r.filters.values()) for (const item of f.finish()) this.#writeItem(r, item);
    }
    for (const r of this.#all) r.module.close();
    writeMdat(this.file, this.#mdat, this.plan.startMs, endMs);
    removeCheckpoint(this.file);
    closeNexusFile(this.file, this.plan.path);
  }
}

function routeKey(topic: string, schema: string, source: string): string {
  return `${topic}\u0000${schema}\u0000${source}`;
}

function saveFilter(c: FilterCheckpoint<Item>): FilterCheckpoint<string> {
  return { ...c, buffered: c.buffered ? { ns: c.buffered.ns, item: toBase64(c.buffered.item.bytes) } : null };
}

function restoreFilter(c: FilterCheckpoint<string>): FilterCheckpoint<Item> {
  if (!c.buffered) return { ...c, buffered: null };
  const bytes = fromBase64(c.buffered.item);
  return { ...c, buffered: { ns: c.buffered.ns, item: { bytes, message: decodeAny(bytes).message } } };
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
