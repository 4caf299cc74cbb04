/**
 * Actor → actor messaging over a direct channel: small-message rate and 1 MiB transferred-block throughput,
 * compared in the same run with the same loops between two bare Workers over a raw MessageChannel (the anchor:
 * what Deno itself can do). Prints one JSON line per figure.
 *
 * Usage: deno run -A scripts/bench/actor_messaging.ts [--small N] [--blocks N]
 */
import { parseArgs } from "node:util";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import type { PipeRun, PipeSenderProtocol } from "../../protocols/bench.ts";
import { report } from "./support/report.ts";

const { values } = parseArgs({ args: Deno.args, options: { small: { type: "string" }, blocks: { type: "string" } } });
const SMALL = Number(values.small ?? 200_000);
const BLOCKS = Number(values.blocks ?? 2000);
const MiB = 1 << 20;
const runs: PipeRun[] = [
  { mode: "small", count: SMALL / 10, blockBytes: 0 }, // warm-up
  { mode: "small", count: SMALL, blockBytes: 0 },
  { mode: "block", count: BLOCKS / 10, blockBytes: MiB }, // warm-up
  { mode: "block", count: BLOCKS, blockBytes: MiB },
];

async function viaNxflow(): Promise<number[]> {
  const system = await ActorSystem.start({
    id: "bench",
    children: [
      { id: "sink", module: new URL("./support/pipe_sink.ts", import.meta.url) },
      { id: "sender", module: new URL("./support/pipe_sender.ts", import.meta.url) },
    ],
    channels: [{ name: "pipe", between: ["sender", "sink"] }],
  });
  const sender = system.ref<PipeSenderProtocol>("sender");
  const times: number[] = [];
  for (const run of runs) times.push((await sender.request("run", run, { timeoutMs: 600_000 })).elapsedMs);
  await system.stop();
  return times;
}

async function viaRawWorkers(): Promise<number[]> {
  const url = new URL("./support/raw_pipe_worker.ts", import.meta.url);
  const { port1, port2 } = new MessageChannel();
  const sink = new Worker(url, { type: "module" });
  const sender = new Worker(url, { type: "module" });
  sink.postMessage({ port: port2, role: "sink" }, [port2]);
  const times = new Promise<number[]>((resolve) => (sender.onmessage = (e) => resolve(e.data)));
  sender.postMessage({ port: port1, role: "send", runs }, [port1]);
  const result = await times;
  sink.terminate();
  sender.terminate();
  return result;
}

const raw = await viaRawWorkers();
const ours = await viaNxflow();
const anchor = "the same loop between two bare Workers over a raw MessageChannel";
report({
  bench: "actor_messaging",
  figure: "small_messages_per_s",
  value: SMALL / (ours[1] / 1000),
  unit: "msg/s",
  anchor,
  anchorValue: SMALL / (raw[1] / 1000),
});
report({
  bench: "actor_messaging",
  figure: "transferred_1MiB_blocks_MB_per_s",
  value: (BLOCKS * MiB) / 1e6 / (ours[3] / 1000),
  unit: "MB/s",
  anchor,
  anchorValue: (BLOCKS * MiB) / 1e6 / (raw[3] / 1000),
});
