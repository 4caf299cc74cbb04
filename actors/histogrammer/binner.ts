/**
 * The binner actor: counts the events of one input (its consumer's `batches` channel) into every histogram of a
 * `config` command that reads that input, decoding each message once, and publishes each histogram through its
 * producer (`records` channel) every `publishMs`, once at start (INITIALISED, empty) and once more when it finishes.
 * Speaks BinnerProtocol (protocols/histogrammer.ts). Restart: permanent.
 *
 * - **Window.** Records whose Kafka timestamp is before `startMs` are skipped; one after `stopMs` is skipped and
 *   finishes the histograms (after the rest of its batch). With no data and the wall clock past `stopMs` + leeway
 *   (once the consumer reached the end of every input partition), they finish too.
 * - **Error.** A binner configured with an `error` (its input topic does not exist) publishes each histogram once
 *   with state ERROR and the `error_message`; `finish` then waits for Kafka's acknowledgement.
 * - **Exact after a crash.** A restarted binner starts from zero, and its new inbox makes the consumer read the window
 *   again from `startMs` (the consumer starts afresh when its downstream restarts), so the counts come back exactly.
 *   Offsets already counted by this incarnation are skipped, so a consumer restart counts nothing twice. A
 *   `reset_counts` is remembered as the positions it happened at (the manager hands them back after a restart), so a
 *   restarted binner does not count again what a reset removed.
 *
 * @module
 */
import type { ProduceRecord } from "../../protocols/broker.ts";
import type { BinnerConfig, BinnerProtocol, BinnerStats, HistogramSpec } from "../../protocols/histogrammer.ts";
import { ConsumerInbox, type InboxBatch } from "../broker/inbox.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { type ActorContext, defineActor } from "../runtime/actor.ts";
import { decodeEvents } from "./events.ts";
import { createHistogram, type Histogram } from "./histograms.ts";
import { type HistogramInfo, histogramMessage, type HistogramState } from "./output.ts";

type Ctx = ActorContext<BinnerProtocol>;

/** One histogram and just-bin-it's figures about it. */
interface Slot {
  h: Histogram;
  /** whether it counts ids (then only events with an id count). */
  needsDet: boolean;
  state: HistogramState;
  sum: number;
  diff: number;
  lastPulseNs: bigint;
  /** pulse time at the previous publication, for `rate`. */
  pulseAtPublishNs: bigint;
  rate: number;
}

interface State {
  config: BinnerConfig;
  slots: Slot[];
  outbox: ProducerOutbox;
  /** next offset to count, per topic and partition. */
  next: Map<string, number>;
  /** offsets before these were removed by a reset (from the manager, after a restart). */
  resetAt: Map<string, number>;
  restored: Promise<void>;
  restore: () => void;
  timer: ReturnType<typeof setInterval> | undefined;
  lastBatchAt: number;
  /** the partitions whose end the consumer reported. */
  ended: Set<string>;
  finished: boolean;
  stats: BinnerStats;
}

export default defineActor<BinnerProtocol, BinnerConfig, State>({
  init(config, ctx) {
    const state: State = {
      config,
      slots: config.histograms.map(slotOf),
      outbox: new ProducerOutbox(ctx.port("records")),
      next: new Map(),
      resetAt: new Map(),
      restored: Promise.resolve(),
      restore: () => {},
      timer: undefined,
      lastBatchAt: 0,
      ended: new Set(),
      finished: false,
      stats: {
        messages: 0,
        events: 0,
        undecodable: 0,
        outsideWindow: 0,
        duplicates: 0,
        published: 0,
        firstCountedMs: 0,
        lastCountedMs: 0,
        state: "INITIALISED",
      },
    };
    if (config.error !== undefined) {
      // a run that cannot count (its input is missing): one ERROR message per histogram, as just-bin-it sends
      for (const s of state.slots) s.state = "ERROR";
      state.finished = true;
      state.stats.state = "ERROR";
      publish(state);
      return state;
    }
    state.restored = new Promise((resolve) => state.restore = resolve);
    ctx.emit({ type: "hello" });
    new ConsumerInbox(ctx.port("batches"), {
      onBatch: async (batch) => {
        await state.restored;
        onBatch(state, ctx, batch);
      },
      onEndOfPartition: (topic, partition) => {
        state.ended.add(partitionKey(topic, partition));
      },
    });
    publish(state);
    state.timer = setInterval(() => tick(state, ctx), config.publishMs);
    return state;
  },
  handle(state, msg, ctx) {
    if (msg.type === "restore") {
      for (const p of msg.resetAt) state.resetAt.set(partitionKey(p.topic, p.partition), p.offset);
      return state.restore();
    }
    for (const s of state.slots) {
      s.h.reset();
      s.sum = s.diff = s.rate = 0;
    }
    const positions = [...state.next].map(([k, offset]) => ({ ...unkey(k), offset }));
    ctx.emit({ type: "resetAt", positions });
  },
  requests: {
    async finish(state) {
      await finish(state);
      return null;
    },
    stats: (state) => ({
      ...state.stats,
      state: state.finished && !state.config.error ? "FINISHED" : state.stats.state,
    }),
  },
  async terminate(state) {
    clearInterval(state.timer);
    await Promise.race([state.outbox.drained(), new Promise((r) => setTimeout(r, 2000))]);
  },
});

/** The key of a topic's partition in the binner's maps and sets. */
export const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const unkey = (k: string) => {
  const [topic, partition] = k.split("\u0000");
  return { topic, partition: Number(partition) };
};

function slotOf(spec: HistogramSpec): Slot {
  return {
    h: createHistogram(spec),
    needsDet: spec.type !== "hist1d" || spec.detRange !== undefined,
    state: "INITIALISED",
    sum: 0,
    diff: 0,
    lastPulseNs: 0n,
    pulseAtPublishNs: 0n,
    rate: 0,
  };
}

function onBatch(state: State, ctx: Ctx, batch: InboxBatch): void {
  if (state.finished) return;
  state.lastBatchAt = Date.now();
  const { startMs, stopMs, input } = state.config;
  let past = false;
  const k = partitionKey(batch.topic, batch.partition);
  const removed = state.resetAt.get(k) ?? 0;
  for (const r of batch.records) {
    if (r.offset < (state.next.get(k) ?? 0)) {
      state.stats.duplicates++;
      continue;
    }
    state.next.set(k, r.offset + 1);
    if (r.offset < removed) continue;
    if (r.timestampMs < startMs || (stopMs !== null && r.timestampMs > stopMs)) {
      state.stats.outsideWindow++;
      if (r.timestampMs > startMs) past = true;
      continue;
    }
    let events;
    try {
      events = decodeEvents(input, r.value);
    } catch {
      state.stats.undecodable++;
      continue;
    }
    state.stats.messages++;
    for (const s of state.slots) {
      if (s.h.spec.source && s.h.spec.source !== events.source) continue;
      const n = s.needsDet ? Math.min(events.tof.length, events.det.length) : events.tof.length;
      const counted = s.h.add(events.tof, events.det, n);
      s.sum += counted;
      s.diff += counted;
      s.lastPulseNs = events.pulseNs;
      s.state = "COUNTING";
      state.stats.events += counted;
    }
    state.stats.state = "COUNTING";
    state.stats.lastCountedMs = Date.now();
    state.stats.firstCountedMs ||= state.stats.lastCountedMs;
  }
  if (past) {
    void finish(state).then(() => ctx.emit({ type: "finished" }));
  }
}

function tick(state: State, ctx: Ctx): void {
  if (state.finished) return;
  if (windowClosed(state.config, state.ended, state.lastBatchAt, Date.now())) {
    void finish(state).then(() => ctx.emit({ type: "finished" }));
    return;
  }
  publish(state);
}

/**
 * Whether a window is over by the wall clock: `stopMs` + leeway has passed, no batch came for a publishing period,
 * and the consumer reached the end of every input partition (`ended`, keys of {@linkcode partitionKey}; of one at
 * least when the partitions are not known).
 */
export function windowClosed(config: BinnerConfig, ended: Set<string>, lastBatchAt: number, now: number): boolean {
  const { stopMs, partitions } = config;
  if (stopMs === null || now <= stopMs + (config.leewayMs ?? 5000) || now - lastBatchAt <= config.publishMs) {
    return false;
  }
  if (!partitions?.length) return ended.size > 0;
  return partitions.every((p) => ended.has(partitionKey(p.topic, p.partition)));
}

async function finish(state: State): Promise<void> {
  if (!state.finished) {
    state.finished = true;
    clearInterval(state.timer);
    for (const s of state.slots) s.state = "FINISHED";
    publish(state);
  }
  await state.outbox.drained();
}

function publish(state: State): void {
  const now = Date.now();
  const { config } = state;
  for (const s of state.slots) {
    const dt = Number(s.lastPulseNs - s.pulseAtPublishNs) / 1e9;
    if (s.diff > 0 && dt > 0) s.rate = s.diff / dt;
    const info: HistogramInfo = {
      id: s.h.spec.id,
      ...(config.showStart ? { start: config.startMs } : {}),
      ...(config.showStop && config.stopMs !== null ? { stop: config.stopMs } : {}),
      state: s.state,
      last_pulse_time: s.lastPulseNs,
      sum: s.sum,
      diff: s.diff,
      rate: s.rate,
      ...(s.state === "ERROR" ? { error_message: config.error } : {}),
    };
    const record: ProduceRecord = {
      topic: s.h.spec.topic,
      value: histogramMessage(config.output, s.h, info, BigInt(now) * 1_000_000n),
      timestampMs: now,
    };
    state.outbox.send(record);
    state.stats.published++;
    s.diff = 0;
    s.pulseAtPublishNs = s.lastPulseNs;
  }
}
