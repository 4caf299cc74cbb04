/**
 * The live view on the main thread: every `updateMs` it asks the tap for its view, takes the supervision tree and
 * the health, asks the file writer's job actors in this process for their progress, computes the topics' rates, says
 * in words what is down or stale (Kafka, an actor, the event stream, the histograms), and pushes the resulting
 * {@linkcode LiveState} to every page listening (server-sent events). Histogram counts are kept apart, served as
 * binary on request.
 *
 * @module
 */
import type { HealthReply } from "../../protocols/admin.ts";
import type { BrokerStatus } from "../../protocols/broker.ts";
import type { HistogramView, JobRow, LiveState, TapProtocol, TapView, TopicRow } from "../../protocols/live.ts";
import type { FileWriterProtocol } from "../../protocols/writer.ts";
import type { Log } from "../common/log.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { LIVE_IDS, type LiveSettings } from "./role.ts";

/** The event stream is called down after this long without a message on the detector's topic. */
const STREAM_SILENT_MS = 3000;
const HISTOGRAMS_SILENT_MS = 5000;
const TAP_TIMEOUT_MS = 2000;

/** The f144 `value_units` of each source in a nexus_structure. */
export function pvUnits(structure: string): Record<string, string> {
  const units: Record<string, string> = {};
  const walk = (node: unknown) => {
    if (!node || typeof node !== "object") return;
    const n = node as { module?: string; config?: { source?: string; value_units?: string }; children?: unknown[] };
    if (n.module === "f144" && n.config?.source) units[n.config.source] = n.config.value_units ?? "";
    n.children?.forEach(walk);
  };
  walk(JSON.parse(structure));
  return units;
}

/** The live view's model; see the module doc. */
export class LiveView {
  readonly #tap;
  readonly #units: Record<string, string>;
  readonly #listeners = new Set<(state: LiveState) => void>();
  #histograms = new Map<string, HistogramView>();
  #tapView: TapView | null = null;
  #tapOk = { ok: false, error: "not answered yet" as string | undefined, lastMs: 0 };
  /** the tap consumer's newest connection notice; null before its first (it may have come before this view). */
  #kafka: { connected: boolean; error?: string } | null = null;
  #samples: { ms: number; topics: Record<string, { messages: number; events: number }> }[] = [];
  #rates: LiveState["rates"] = { times: [], events: {} };
  #state: LiveState | null = null;
  /** the newest figures of each job's writer actor, still shown once the job has ended. */
  #jobFigures = new Map<string, Partial<JobRow>>();
  #timer: ReturnType<typeof setInterval>;
  #busy = false;
  /** the first update, which `state()` waits for. */
  readonly #first: Promise<void>;

  constructor(
    readonly system: ActorSystem,
    readonly settings: LiveSettings,
    structure: string,
    readonly health: () => HealthReply,
    readonly tokenRequired: boolean,
    readonly log: Log,
    readonly base = "root/live",
  ) {
    this.#tap = system.ref<TapProtocol>(`${base}/tap`);
    this.#units = pvUnits(structure);
    system.ref<{ in: never; requests: never; out: BrokerStatus; ports: never }>(`${base}/data`).onEmit((m) => {
      if (m.type === "brokerStatus") this.#kafka = { connected: m.connected, ...(m.error ? { error: m.error } : {}) };
    });
    this.#first = this.#tick();
    this.#timer = setInterval(() => void this.#tick(), settings.updateMs);
  }

  /** The tap, for the controls. */
  get tap() {
    return this.#tap;
  }

  /** The newest state (after the first update). */
  async state(): Promise<LiveState> {
    await this.#first;
    if (!this.#state) throw new Error("the live view could not make its first state (see the log)");
    return this.#state;
  }

  /** The newest counts of a histogram. */
  histogram(id: string): HistogramView | undefined {
    return this.#histograms.get(id);
  }

  /** Calls `listener` with every new state; returns the function that stops it. */
  listen(listener: (state: LiveState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#listeners.clear();
  }

  async #tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const now = Date.now();
      try {
        this.#tapView = await this.#tap.request("view", null, { timeoutMs: TAP_TIMEOUT_MS });
        this.#tapOk = { ok: true, error: undefined, lastMs: now };
        this.#histograms = new Map(this.#tapView.histograms.map((h) => [h.id, h]));
      } catch (error) {
        this.#tapOk = { ...this.#tapOk, ok: false, error: (error as Error).message };
      }
      this.#state = await this.#build(Date.now());
      for (const l of this.#listeners) l(this.#state);
    } catch (error) {
      this.log("error", "live", `cannot update the live view: ${(error as Error).stack}`);
    } finally {
      this.#busy = false;
    }
  }

  #topicRows(now: number): TopicRow[] {
    const topics = this.#tapView?.topics ?? {};
    const current = Object.fromEntries(Object.entries(topics).map(([t, f]) => [t, { ...f }]));
    if (this.#tapOk.ok) this.#samples.push({ ms: now, topics: current });
    if (this.#samples.length === 0) return [];
    while (this.#samples.length > 2 && now - this.#samples[1].ms >= 1000) this.#samples.shift();
    const old = this.#samples[0];
    const dt = (now - old.ms) / 1000;
    const rows = Object.entries(topics).map(([topic, f]) => {
      const before = old.topics[topic] ?? { messages: 0, events: 0 };
      const stale = !this.#tapOk.ok;
      return {
        topic,
        ...f,
        messageRate: dt > 0 && !stale ? (f.messages - before.messages) / dt : 0,
        eventRate: dt > 0 && !stale ? (f.events - before.events) / dt : 0,
      };
    }).sort((a, b) => a.topic.localeCompare(b.topic));
    const keep = this.settings.historyS * 1000;
    this.#rates.times.push(now);
    for (const t of this.settings.eventTopics) {
      (this.#rates.events[t] ??= new Array(this.#rates.times.length - 1).fill(null)).push(
        rows.find((r) => r.topic === t)?.eventRate ?? 0,
      );
    }
    while (this.#rates.times.length && now - this.#rates.times[0] > keep) {
      this.#rates.times.shift();
      for (const s of Object.values(this.#rates.events)) s.shift();
    }
    return rows;
  }

  async #jobs(): Promise<JobRow[]> {
    const jobs: JobRow[] = this.#tapView?.jobs ?? [];
    for (const id of this.#jobFigures.keys()) if (!jobs.some((j) => j.jobId === id)) this.#jobFigures.delete(id);
    return await Promise.all(jobs.map(async (j) => {
      if (j.state === "writing") {
        try {
          const file = this.system.ref<FileWriterProtocol>(`root/writer/jobs/job-${j.jobId}/file`);
          const s = await file.request("stats", null, { timeoutMs: 1000 });
          const fileBytes = await Deno.stat(s.path).then((st) => st.size, () => undefined);
          this.#jobFigures.set(j.jobId, {
            written: s.written,
            events: s.events,
            bytes: s.bytes,
            path: s.path,
            fileBytes,
          });
        } catch {
          // a writer of another process, or the job just ended
        }
      }
      const figures = this.#jobFigures.get(j.jobId);
      if (figures?.path && j.state !== "writing") {
        figures.fileBytes = await Deno.stat(figures.path).then((st) => st.size, () => figures.fileBytes);
      }
      return { ...j, ...figures };
    }));
  }

  async #build(now: number): Promise<LiveState> {
    const tree = this.system.snapshot();
    const health = this.health();
    const topics = this.#topicRows(now);
    const view = this.#tapView;
    const alerts: string[] = [];
    // with no notice yet, records arriving tell that the consumer reaches Kafka
    const newestRecord = Math.max(0, ...Object.values(view?.topics ?? {}).map((t) => t.lastMs));
    const kafka = this.#kafka ??
      (now - newestRecord < 5000 ? { connected: true } : { connected: false, error: "no record read from Kafka yet" });
    if (!kafka.connected) alerts.push(`Kafka is not reachable: ${kafka.error ?? "connecting"}`);
    if (!this.#tapOk.ok) {
      const since = this.#tapOk.lastMs ? `since ${new Date(this.#tapOk.lastMs).toISOString()}` : "yet";
      alerts.push(`The live view's tap has not answered ${since}: ${this.#tapOk.error}`);
    }
    if (health.down.length) alerts.push(`Actors down: ${health.down.join(", ")}`);
    const detector = this.settings.eventTopics[0];
    const last = view?.topics[detector]?.lastMs ?? 0;
    if (now - last > STREAM_SILENT_MS) {
      alerts.push(
        last
          ? `No events on ${detector} for ${Math.round((now - last) / 1000)} s (shutter closed, sim or EFU down?)`
          : `No events on ${detector} yet`,
      );
    }
    const newest = Math.max(0, ...[...this.#histograms.values()].map((h) => h.receivedMs));
    if (now - newest > HISTOGRAMS_SILENT_MS) {
      const config = view?.histConfig;
      const why = config?.response === "ERR"
        ? `: the histogrammer refused the live view's config: ${config.message}`
        : config?.response === "REPLACED"
        ? `: another client configured the histogrammer (msg_id ${config.message}); its histograms go elsewhere`
        : "";
      alerts.push(
        `No histograms from the histogrammer for ${newest ? Math.round((now - newest) / 1000) : "—"} s${why}`,
      );
    }
    return {
      serverMs: now,
      health,
      tree,
      kafka,
      tap: this.#tapOk,
      topics,
      rates: this.#rates,
      histograms: [...this.#histograms.values()].map(({ counts: _c, ...h }) => h),
      image: { id: LIVE_IDS.image, ...this.settings.image },
      spectrum: { id: LIVE_IDS.spectrum },
      pvs: (view?.pvs ?? []).map((p) => ({ ...p, unit: this.#units[p.source] ?? "" })),
      jobs: await this.#jobs(),
      histConfig: view?.histConfig ?? { msgId: "", sentMs: 0, response: "" },
      undecodable: view?.undecodable ?? 0,
      alerts,
      tokenRequired: this.tokenRequired,
    };
  }
}
