/**
 * The source filter (`actors/writer/source_filter.ts`): each rule of kafka-to-nexus's `SourceFilter::filter_message`,
 * the exact start and stop boundaries, `finish`, the counters, and a restored filter continuing identically.
 */
import assert from "node:assert/strict";
import { type FilterCounters, SourceFilter, type SourceFilterOptions } from "../../actors/writer/source_filter.ts";

const LOG: SourceFilterOptions = { startNs: 100n, stopNs: 200n, acceptsRepeats: false, writesLastKnownValue: true };
const EVENTS: SourceFilterOptions = { ...LOG, acceptsRepeats: true, writesLastKnownValue: false };

/** Offers `[ns, item]` pairs and returns what each offer gave. */
function feed(filter: SourceFilter<string>, messages: [bigint, string][]): string[][] {
  return messages.map(([ns, item]) => filter.offer(ns, item));
}

function balanced(c: FilterCounters, buffered: number): void {
  assert.equal(c.received, c.written + c.repeated + c.afterStop + c.superseded + c.beforeStart + buffered);
}

Deno.test("SourceFilter writes messages in the window as they come", () => {
  const f = new SourceFilter<string>(LOG);
  assert.deepEqual(feed(f, [[150n, "a"], [160n, "b"]]), [["a"], ["b"]]);
  assert.deepEqual(f.finish(), []);
  assert.equal(f.finished, false);
  assert.deepEqual(f.counters, { received: 2, written: 2, repeated: 0, afterStop: 0, superseded: 0, beforeStart: 0 });
});

Deno.test("SourceFilter keeps only the newest pre-start message and writes it before the first in-window one", () => {
  const f = new SourceFilter<string>(LOG);
  assert.deepEqual(feed(f, [[10n, "old"], [50n, "newer"], [20n, "late but older"]]), [[], [], []]);
  assert.deepEqual(f.offer(150n, "in"), ["newer", "in"]);
  assert.deepEqual(f.offer(160n, "next"), ["next"]);
  assert.deepEqual(f.finish(), []);
  assert.equal(f.counters.superseded, 2);
  assert.equal(f.counters.written, 3);
  balanced(f.counters, 0);
});

Deno.test("SourceFilter: a pre-start message at the buffered one's time (not a repeat) replaces it", () => {
  const f = new SourceFilter<string>(LOG);
  assert.deepEqual(feed(f, [[50n, "a"], [40n, "b"], [50n, "c"]]), [[], [], []]);
  assert.deepEqual(f.finish(), ["c"]);
  assert.equal(f.counters.superseded, 2);
  balanced(f.counters, 0);
});

Deno.test("SourceFilter.finish writes the last known value when nothing came in the window, once", () => {
  const f = new SourceFilter<string>(LOG);
  f.offer(90n, "slow PV");
  assert.deepEqual(f.finish(), ["slow PV"]);
  assert.deepEqual(f.finish(), []);
  balanced(f.counters, 0);
});

Deno.test("SourceFilter without last known value (events) discards pre-start messages", () => {
  const f = new SourceFilter<string>(EVENTS);
  assert.deepEqual(feed(f, [[10n, "a"], [90n, "b"], [150n, "c"]]), [[], [], ["c"]]);
  assert.deepEqual(f.finish(), []);
  assert.equal(f.counters.beforeStart, 2);
  balanced(f.counters, 0);
});

Deno.test("SourceFilter drops a repeated timestamp unless the module accepts repeats", () => {
  const log = new SourceFilter<string>(LOG);
  assert.deepEqual(feed(log, [[150n, "a"], [150n, "again"], [160n, "b"], [150n, "back"]]), [
    ["a"],
    [],
    ["b"],
    ["back"],
  ]);
  assert.equal(log.counters.repeated, 1);
  const events = new SourceFilter<string>(EVENTS);
  assert.deepEqual(feed(events, [[150n, "a"], [150n, "same pulse"]]), [["a"], ["same pulse"]]);
  assert.equal(events.counters.repeated, 0);
});

Deno.test("SourceFilter: a repeat is judged against the previous message wherever it went (also pre-start)", () => {
  const f = new SourceFilter<string>(LOG);
  assert.deepEqual(feed(f, [[50n, "a"], [50n, "resend"]]), [[], []]);
  assert.equal(f.counters.repeated, 1);
  assert.deepEqual(f.finish(), ["a"]);
  balanced(f.counters, 0);
});

Deno.test("SourceFilter: the first message after the stop finishes it, is not written, and flushes the buffer", () => {
  const f = new SourceFilter<string>(LOG);
  assert.deepEqual(feed(f, [[150n, "a"], [201n, "late"], [199n, "after finish"], [300n, "more"]]), [
    ["a"],
    [],
    [],
    [],
  ]);
  assert.equal(f.finished, true);
  assert.equal(f.counters.afterStop, 3);
  balanced(f.counters, 0);
  const buffered = new SourceFilter<string>(LOG);
  buffered.offer(50n, "last known");
  assert.deepEqual(buffered.offer(250n, "late"), ["last known"]);
  assert.equal(buffered.finished, true);
  assert.deepEqual(buffered.finish(), []);
  balanced(buffered.counters, 0);
});

Deno.test("SourceFilter: messages exactly at the start and exactly at the stop are in the window", () => {
  const f = new SourceFilter<string>(LOG);
  assert.deepEqual(feed(f, [[99n, "before"], [100n, "at start"], [200n, "at stop"], [201n, "after"]]), [
    [],
    ["before", "at start"],
    ["at stop"],
    [],
  ]);
  assert.equal(f.finished, true);
});

Deno.test("SourceFilter.setStop moves the stop; a finished filter stays finished", () => {
  const f = new SourceFilter<string>(LOG);
  f.setStop(300n);
  assert.deepEqual(f.offer(250n, "now in"), ["now in"]);
  f.setStop(260n);
  assert.deepEqual(f.offer(261n, "out"), []);
  f.setStop(1000n);
  assert.deepEqual(f.offer(270n, "too late"), []);
  assert.equal(f.finished, true);
});

Deno.test("SourceFilter restored from a checkpoint continues exactly like the original", () => {
  const messages: [bigint, string][] = [
    [10n, "a"],
    [60n, "b"],
    [60n, "b again"],
    [40n, "older"],
    [100n, "start"],
    [100n, "start again"],
    [150n, "c"],
    [120n, "unordered"],
    [200n, "stop"],
    [201n, "after"],
    [202n, "more"],
  ];
  for (let cut = 0; cut <= messages.length; cut++) {
    const original = new SourceFilter<string>(LOG);
    const outOriginal = feed(original, messages);
    const first = new SourceFilter<string>(LOG);
    const outFirst = feed(first, messages.slice(0, cut));
    const checkpoint = JSON.parse(JSON.stringify(first.checkpoint()));
    const restored = new SourceFilter<string>(LOG, checkpoint);
    const outRestored = feed(restored, messages.slice(cut));
    assert.deepEqual([...outFirst, ...outRestored], outOriginal, `cut at ${cut}`);
    assert.deepEqual(restored.finish(), original.finish(), `cut at ${cut}`);
    assert.deepEqual(restored.checkpoint(), original.checkpoint(), `cut at ${cut}`);
  }
});

Deno.test("SourceFilter.checkpoint holds the buffered value and exact ns as strings, and is a copy", () => {
  const startNs = 1_700_000_000_000_000_001n;
  const f = new SourceFilter<string>({ ...LOG, startNs, stopNs: startNs + 1000n });
  assert.deepEqual(f.checkpoint(), {
    lastNs: null,
    finished: false,
    buffered: null,
    counters: { received: 0, written: 0, repeated: 0, afterStop: 0, superseded: 0, beforeStart: 0 },
  });
  f.offer(startNs - 1n, "x");
  const c = f.checkpoint();
  assert.equal(c.lastNs, "1700000000000000000");
  assert.deepEqual(c.buffered, { ns: "1700000000000000000", item: "x" });
  balanced(c.counters, 1);
  c.counters.received = 99;
  assert.equal(f.counters.received, 1);
});
