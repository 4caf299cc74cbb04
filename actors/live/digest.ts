/**
 * What the live view keeps of the records the tap reads: per-topic counts, the newest hs01 histogram of each id, the
 * recent updates of every f144 PV, the file writer's jobs (from its x5f2 status and wrdn done messages) and the
 * histogrammer's answers. Pure logic: records in, {@linkcode TapView} out; a record that cannot be decoded is counted
 * and skipped.
 *
 * @module
 */
import type { HistogramView, PvSeries, TapView, TopicFigures, WriterJobView } from "../../protocols/live.ts";
import { ev42 } from "../../schemas/ev42/codec.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import { f144 } from "../../schemas/f144/codec.ts";
import { hs01 } from "../../schemas/hs01/codec.ts";
import { fileIdentifier } from "../../schemas/reader.ts";
import { wrdn } from "../../schemas/wrdn/codec.ts";
import { readStatus } from "../writer/command/status.ts";

/** One record as the digest needs it. */
export interface DigestRecord {
  topic: string;
  value: Uint8Array;
  /** wall-clock ms when it arrived. */
  nowMs: number;
}

/** points kept per PV (the page plots them all, twice a second). */
const MAX_POINTS = 1200;
/** finished jobs shown for this long after their end. */
const KEEP_FINISHED_MS = 10 * 60_000;

/** The live view's state; see the module doc. */
export class Digest {
  readonly topics: Record<string, TopicFigures> = {};
  readonly #histograms = new Map<string, HistogramView>();
  readonly #pvs = new Map<string, PvSeries>();
  readonly #jobs = new Map<string, WriterJobView>();
  undecodable = 0;
  histResponse: { msgId: string; response: string; message?: string } | null = null;
  /** the msg_id of the newest `config` command on the histogrammer's command topic (null: none seen). */
  lastConfigId: string | null = null;

  constructor(readonly pvHistoryMs: number, readonly histResponseTopic: string, readonly histCommandTopic = "") {}

  /** Takes one record. */
  add(r: DigestRecord): void {
    const t = this.topics[r.topic] ??= { messages: 0, events: 0, bytes: 0, lastMs: 0 };
    t.messages++;
    t.bytes += r.value.byteLength;
    t.lastMs = r.nowMs;
    try {
      if (r.topic === this.histResponseTopic) return this.#response(r.value);
      if (r.topic === this.histCommandTopic) return this.#command(r.value);
      switch (fileIdentifier(r.value)) {
        case "ev44":
          t.events += ev44.decode(r.value).pixel_id?.length ?? 0;
          return;
        case "ev42":
          t.events += ev42.decode(r.value).detector_id?.length ?? 0;
          return;
        case "f144":
          return this.#pv(r.value);
        case "hs01":
          return this.#histogram(r.value, r.nowMs);
        case "x5f2":
          return this.#status(r.value, r.nowMs);
        case "wrdn":
          return this.#done(r.value, r.nowMs);
      }
    } catch {
      this.undecodable++;
    }
  }

  #response(bytes: Uint8Array): void {
    const r = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof r?.msg_id === "string" && typeof r.response === "string") {
      this.histResponse = { msgId: r.msg_id, response: r.response, message: r.message };
    }
  }

  #command(bytes: Uint8Array): void {
    const c = JSON.parse(new TextDecoder().decode(bytes));
    if (c?.cmd === "config") this.lastConfigId = String(c.msg_id ?? "");
  }

  #pv(bytes: Uint8Array): void {
    const m = f144.decode(bytes);
    const raw = (m as { value?: { value?: unknown } }).value?.value;
    const value = typeof raw === "bigint" ? Number(raw) : typeof raw === "number" ? raw : NaN;
    if (Number.isNaN(value)) return; // arrays and strings are not plotted
    const ms = Number(m.timestamp / 1_000_000n);
    const s = this.#pvs.get(m.source_name) ?? { source: m.source_name, times: [], values: [] };
    this.#pvs.set(m.source_name, s);
    s.times.push(ms);
    s.values.push(value);
    const keepFrom = ms - this.pvHistoryMs;
    let drop = 0;
    while (drop < s.times.length - 1 && (s.times[drop] < keepFrom || s.times.length - drop > MAX_POINTS)) drop++;
    if (drop) {
      s.times.splice(0, drop);
      s.values.splice(0, drop);
    }
  }

  #histogram(bytes: Uint8Array, nowMs: number): void {
    const m = hs01.decode(bytes);
    const info = JSON.parse(m.info ?? "{}") as { id?: string; state?: string; sum?: number };
    const id = String(info.id ?? "");
    let counts: Float64Array;
    if (m.data_type === "ArrayDouble") counts = Float64Array.from(m.data.value ?? []);
    else if (m.data_type === "ArrayLong") counts = Float64Array.from(m.data.value ?? [], Number);
    else if (m.data_type === "ArrayInt" || m.data_type === "ArrayFloat") counts = Float64Array.from(m.data.value ?? []);
    else return;
    const edges = (m.dim_metadata ?? []).map((d) =>
      d.bin_boundaries_type === "NONE" ? [] : Array.from(d.bin_boundaries.value ?? [], Number)
    );
    this.#histograms.set(id, {
      id,
      timestampNs: String(m.timestamp),
      state: String(info.state ?? ""),
      sum: Number(info.sum ?? 0),
      shape: Array.from(m.current_shape),
      edges,
      counts,
      receivedMs: nowMs,
    });
  }

  #status(bytes: Uint8Array, nowMs: number): void {
    const s = readStatus(bytes);
    if (!s?.job || s.state !== "writing") return;
    const known = this.#jobs.get(s.job.jobId);
    if (known && known.state !== "writing") return; // a late status after its done message
    this.#jobs.set(s.job.jobId, { ...s.job, state: "writing", updatedMs: nowMs });
  }

  #done(bytes: Uint8Array, nowMs: number): void {
    const m = wrdn.decode(bytes);
    const known = this.#jobs.get(m.job_id);
    this.#jobs.set(m.job_id, {
      jobId: m.job_id,
      filename: known?.filename || m.file_name,
      startMs: known?.startMs ?? 0,
      stopMs: known?.stopMs ?? 0,
      state: m.error_encountered ? "failed" : "finished",
      ...(m.error_encountered ? { error: m.message ?? "" } : {}),
      updatedMs: nowMs,
    });
  }

  /** The jobs a writer reports writing now. */
  writing(): WriterJobView[] {
    return [...this.#jobs.values()].filter((j) => j.state === "writing");
  }

  /** Marks a job stopped from the page, so its stop time shows at once. */
  stopping(jobId: string, nowMs: number): void {
    const j = this.#jobs.get(jobId);
    if (j) j.stopMs = nowMs;
  }

  /** The view (histogram counts are copies). */
  view(nowMs: number): Omit<TapView, "histConfig"> {
    for (const [id, j] of this.#jobs) {
      if (j.state !== "writing" && nowMs - j.updatedMs > KEEP_FINISHED_MS) this.#jobs.delete(id);
    }
    return {
      topics: structuredClone(this.topics),
      histograms: [...this.#histograms.values()].map((h) => ({ ...h, counts: h.counts.slice() })),
      pvs: [...this.#pvs.values()].map((s) => ({ ...s, times: [...s.times], values: [...s.values] })),
      jobs: [...this.#jobs.values()].map((j) => ({ ...j })),
      undecodable: this.undecodable,
    };
  }

  /** Wall-clock ms of the newest histogram with one of these ids (0: none). */
  newestHistogramMs(ids: string[]): number {
    return Math.max(0, ...ids.map((id) => this.#histograms.get(id)?.receivedMs ?? 0));
  }
}
