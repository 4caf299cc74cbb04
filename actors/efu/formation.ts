/**
 * The EFU's event formation actor: takes packet batches from the socket reader (`packets` channel), forms events
 * with the detector's family (`event_former.ts`: header checks, readouts, pixel ids, time of flight) and posts them
 * to the serialiser (`events` channel). Acknowledges each packet batch so the reader bounds what is in flight; bounds
 * its own output the same way (`events.dropped` beyond it, `events.lost` for what a crashed serialiser took).
 * Copies `monitorConsecutive` of every `monitorEvery` datagrams, raw, to the serialiser for the samples topic.
 * Speaks protocols/efu.ts. Restart: permanent; its counters and the expected sequence numbers outlive it, so a
 * restart shows as sequence errors only if packets were lost in it.
 *
 * @module
 */
import type { EventBatch, FlowAck, FormationProtocol, PacketBatch, RawSamples } from "../../protocols/efu.ts";
import { defineActor, type Port } from "../runtime/actor.ts";
import { type Counters, countersOf } from "./counters.ts";
import type { DetectorConfig } from "./detector_config.ts";
import { EventFormer, formerCounterNames } from "./event_former.ts";
import { FlowWindow } from "./flow_window.ts";

/** Configuration of the formation actor. */
export interface FormationConfig {
  detector: DetectorConfig;
  /** @default 67108864 (64 MiB) */
  maxInFlightBytes?: number;
  /** where the counters live across restarts (`counters.ts`). */
  counterStore?: SharedArrayBuffer;
  /** where the expected sequence number of each output queue lives across restarts (`ess_header.ts`). */
  sequenceStore?: SharedArrayBuffer;
  /** sample `monitorConsecutive` datagrams of every `monitorEvery` (0 = none) for the samples topic. @default 0 */
  monitorEvery?: number;
  /** @default 2 */
  monitorConsecutive?: number;
}

interface State {
  counters: Counters;
  former: EventFormer;
  window: FlowWindow;
  packets: Port<PacketBatch | FlowAck>;
  events: Port<EventBatch | RawSamples | FlowAck>;
  monitorEvery: number;
  monitorConsecutive: number;
  /** datagrams seen, for sampling. */
  seen: number;
}

/** Copies the datagrams of `batch` that fall on the sampling pattern (the reference's --monitor_every/consecutive). */
function sample(s: State, batch: PacketBatch): RawSamples | null {
  const picked: [number, number][] = [];
  let offset = 0;
  for (const length of batch.lengths) {
    if (s.seen++ % s.monitorEvery < s.monitorConsecutive) picked.push([offset, length]);
    offset += length;
  }
  if (picked.length === 0) return null;
  const data = new Uint8Array(picked.reduce((n, [, length]) => n + length, 0));
  let at = 0;
  for (const [from, length] of picked) {
    data.set(batch.data.subarray(from, from + length), at);
    at += length;
  }
  return { type: "samples", data, lengths: Uint32Array.from(picked, ([, length]) => length) };
}

function form(s: State, batch: PacketBatch): void {
  const samples = s.monitorEvery > 0 ? sample(s, batch) : null;
  if (samples) s.events.post(samples);
  const out = s.former.form(0, batch.data, batch.lengths);
  s.packets.post({ type: "done", seq: batch.seq });
  if (out.segments === 0) return;
  const bytes = out.tof.byteLength * 2 + out.source.byteLength;
  if (!s.window.fits(bytes)) {
    s.counters["events.dropped"] += out.count;
    return;
  }
  out.seq = s.window.sent(bytes, out.count);
  s.events.post(out);
}

export default defineActor<FormationProtocol, FormationConfig, State>({
  init(config, ctx) {
    const s: State = {
      counters: countersOf(
        ["events.dropped", "events.lost", ...formerCounterNames(config.detector)],
        config.counterStore,
      ),
      former: undefined as unknown as EventFormer,
      window: new FlowWindow(config.maxInFlightBytes ?? 64 * 1024 * 1024),
      packets: ctx.port("packets"),
      events: ctx.port("events"),
      monitorEvery: config.monitorEvery ?? 0,
      monitorConsecutive: config.monitorConsecutive ?? 2,
      seen: 0,
    };
    s.former = new EventFormer(config.detector, s.counters, config.sequenceStore);
    s.packets.onMessage((m) => {
      if (m.type === "packets") form(s, m);
    });
    s.events.onMessage((m) => {
      if (m.type === "done") s.counters["events.lost"] += s.window.done(m.seq);
    });
    return s;
  },
  requests: {
    stats: (s) => ({ ...s.counters }),
  },
});
