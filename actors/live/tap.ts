/**
 * The live view's tap actor: reads the system's topics through its consumer (`batches`) into a {@linkcode Digest},
 * answers the main thread's `view` request with it, and sends the page's controls through its producer (`records`):
 * pl72 run starts and 6s4t stops to the file writer, just-bin-it commands to the histogrammer. It sends the live
 * histogram config at start, again every few seconds until the histogrammer acknowledges it, and again when no
 * histogram of it arrived for a while; once another client sends the histogrammer a config of its own, it leaves the
 * histogrammer to that client. Speaks TapProtocol (protocols/live.ts).
 *
 * @module
 */
import type { ControlReply, HistConfigView, TapConfig, TapProtocol } from "../../protocols/live.ts";
import { NO_STOP_TIME_MS } from "../../protocols/writer.ts";
import { pl72, runStop } from "../../schemas/mod.ts";
import { ConsumerInbox } from "../broker/inbox.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { defineActor } from "../runtime/actor.ts";
import { Digest } from "./digest.ts";
import { runFilename, withTitle } from "../common/system/runs.ts";

/** Resend an unanswered config after this long; resend an answered one when no histogram came for this long. */
const RESEND_MS = 3000;
const SILENT_MS = 15_000;

interface State {
  config: TapConfig;
  digest: Digest;
  outbox: ProducerOutbox;
  failed: string | undefined;
  histConfig: HistConfigView;
  /** the msg_ids of every config this tap sent. */
  ours: Set<string>;
  records: number;
  sent: number;
  timer?: ReturnType<typeof setInterval>;
}

const encoder = new TextEncoder();

/** Produces records and waits for Kafka's acknowledgement; the reply says whether it failed. */
async function produce(s: State, records: { topic: string; value: Uint8Array }[]): Promise<ControlReply> {
  s.failed = undefined;
  for (const r of records) s.outbox.send(r);
  s.sent += records.length;
  await s.outbox.drained();
  return s.failed === undefined ? { ok: true } : { ok: false, error: `Kafka refused: ${s.failed}` };
}

function sendConfig(s: State): void {
  const msgId = `nxflow-live-${crypto.randomUUID()}`;
  s.histConfig = { msgId, sentMs: Date.now(), response: "" };
  s.ours.add(msgId);
  const text = JSON.stringify({ ...s.config.histConfig, msg_id: msgId });
  void produce(s, [{ topic: s.config.histCommandTopic, value: encoder.encode(text) }]);
}

function checkConfig(s: State): void {
  const other = s.digest.lastConfigId;
  if (other !== null && !s.ours.has(other)) {
    // someone else configured the histogrammer: leave it to them
    if (s.histConfig.response !== "REPLACED") Object.assign(s.histConfig, { response: "REPLACED", message: other });
    return;
  }
  const r = s.digest.histResponse;
  if (r && r.msgId === s.histConfig.msgId) Object.assign(s.histConfig, { response: r.response, message: r.message });
  const now = Date.now();
  const ids = ((s.config.histConfig.histograms ?? []) as { id?: string }[]).map((h) => h.id ?? "");
  if (s.histConfig.response === "" && now - s.histConfig.sentMs > RESEND_MS) return sendConfig(s);
  const newest = Math.max(s.digest.newestHistogramMs(ids), s.histConfig.sentMs);
  if (s.histConfig.response === "ACK" && now - newest > SILENT_MS) sendConfig(s);
}

export default defineActor<TapProtocol, TapConfig, State>({
  init(config, ctx) {
    const s: State = {
      config,
      digest: new Digest(config.pvHistoryMs, config.histResponseTopic, config.histCommandTopic),
      outbox: new ProducerOutbox(ctx.port("records")),
      failed: undefined,
      histConfig: { msgId: "", sentMs: 0, response: "" },
      ours: new Set(),
      records: 0,
      sent: 0,
    };
    s.outbox.onFailed((_ids, error) => s.failed = error);
    new ConsumerInbox(ctx.port("batches"), {
      onBatch(batch) {
        const nowMs = Date.now();
        for (const r of batch.records) s.digest.add({ topic: batch.topic, value: r.value, nowMs });
        s.records += batch.records.length;
      },
    });
    sendConfig(s);
    s.timer = setInterval(() => checkConfig(s), 1000);
    return s;
  },
  requests: {
    view: (s) => ({ ...s.digest.view(Date.now()), histConfig: { ...s.histConfig } }),
    async startRun(s, { title, durationS }) {
      if (!(durationS >= 0 && durationS <= 30 * 86400)) return { ok: false, error: "duration: 0 to 30 days in s" };
      if (title.length > 1000) return { ok: false, error: "title: at most 1000 characters" };
      const nowMs = Date.now();
      const jobId = crypto.randomUUID();
      const filename = runFilename(nowMs);
      const value = pl72.encode({
        job_id: jobId,
        filename,
        nexus_structure: title ? withTitle(s.config.structure, title) : s.config.structure,
        metadata: "",
        start_time: nowMs,
        stop_time: durationS ? nowMs + Math.round(durationS * 1000) : NO_STOP_TIME_MS,
        control_topic: s.config.writerControlTopic,
      });
      const reply = await produce(s, [{ topic: s.config.writerPoolTopic, value }]);
      return reply.ok ? { ok: true, jobId, filename } : reply;
    },
    async stopRun(s) {
      const jobs = s.digest.writing();
      if (jobs.length === 0) return { ok: false, error: "no writer reports a run being written" };
      const records = jobs.map((j) => ({
        topic: s.config.writerControlTopic,
        value: runStop.encode({ job_id: j.jobId, command_id: crypto.randomUUID(), stop_time: 0 }),
      }));
      const reply = await produce(s, records);
      if (!reply.ok) return reply;
      for (const j of jobs) s.digest.stopping(j.jobId, Date.now());
      return { ok: true, stopped: jobs.map((j) => j.jobId) };
    },
    resetHistograms: (s) =>
      produce(s, [{
        topic: s.config.histCommandTopic,
        value: encoder.encode(JSON.stringify({ cmd: "reset_counts" })),
      }]),
    stats: (s) => ({ undecodable: s.digest.undecodable, records: s.records, sent: s.sent }),
  },
  terminate(s) {
    clearInterval(s.timer);
  },
});
