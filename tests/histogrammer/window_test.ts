/**
 * When a window is over by the wall clock (`windowClosed`): only once the consumer reached the end of every input
 * partition. A topic with an empty partition reported that partition's end first, and the binner finished before the
 * data of the other partition arrived (a CI run counted a window short).
 */
import assert from "node:assert/strict";
import { partitionKey, windowClosed } from "../../actors/histogrammer/binner.ts";
import type { BinnerConfig } from "../../protocols/histogrammer.ts";

const NOW = 1_000_000;
const config: BinnerConfig = {
  connection: { brokers: ["localhost:9092"] },
  input: "ev44",
  output: "hs01",
  histograms: [],
  startMs: NOW - 60_000,
  stopMs: NOW - 30_000,
  showStart: true,
  showStop: true,
  publishMs: 1000,
  partitions: [{ topic: "events", partition: 0 }, { topic: "events", partition: 1 }],
};

Deno.test("a window closes by the clock only when every input partition reached its end", () => {
  const ended = new Set([partitionKey("events", 1)]);
  assert.equal(windowClosed(config, ended, 0, NOW), false, "partition 0 not read yet");
  ended.add(partitionKey("events", 0));
  assert.equal(windowClosed(config, ended, 0, NOW), true);
});

Deno.test("a window stays open before stop + leeway, while batches come, and without a stop", () => {
  const ended = new Set([partitionKey("events", 0), partitionKey("events", 1)]);
  assert.equal(windowClosed(config, ended, 0, config.stopMs! + 4000), false, "within the 5 s leeway");
  assert.equal(windowClosed(config, ended, NOW - 500, NOW), false, "a batch 500 ms ago");
  assert.equal(windowClosed({ ...config, stopMs: null }, ended, 0, NOW), false, "open-ended");
});

Deno.test("without the partition list, one partition's end is enough (and none is not)", () => {
  const unknown = { ...config, partitions: undefined };
  assert.equal(windowClosed(unknown, new Set(), 0, NOW), false);
  assert.equal(windowClosed(unknown, new Set([partitionKey("events", 0)]), 0, NOW), true);
});
