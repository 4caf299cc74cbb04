/**
 * The forwarder's throughput on a real IOC and a real Kafka (one run, JSON lines):
 *
 * - 1,000 scalar PVs that the IOC updates as fast as it can: updates/s forwarded to Kafka as f144, against the
 *   IOC's own update rate (the anchor), and the forwarder's CPU (this process plus its CA child processes);
 * - one PV of 2,048 doubles updated at up to 10 kHz (ESS's reference case): updates/s, MB/s of f144 and CPU.
 *
 * Goals from the issue: ≥ 1e5 scalar updates/s; the 2,048-double PV at 10 kHz sustained. When the IOC's rate is
 * below the goal, the IOC (pythonSoftIOC, one Python thread) is the limit, and the figures say so.
 *
 * Usage: deno run -A scripts/bench/forwarder_throughput.ts [--seconds 5] [--pvs 1000]
 */
import { parseArgs } from "node:util";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { forwarderTree } from "../../actors/forwarder/tree.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import type { SerialiserProtocol, Stream } from "../../protocols/forwarder.ts";
import { startIoc } from "../../tests/_harness/ioc.ts";
import { startKafka } from "../../tests/_harness/kafka.ts";
import { cpuSeconds } from "./support/process_cpu.ts";
import { report } from "./support/report.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "5" }, pvs: { type: "string", default: "1000" } },
});
const SECONDS = Number(values.seconds);
const PVS = Number(values.pvs);
const BENCH = "forwarder_throughput";

const kafka = await startKafka({ heapMb: 1024 });
const ioc = await startIoc({ prefix: "BENCH:", scalars: PVS }).catch(async (e) => {
  await kafka.stop();
  throw e;
});
let system: ActorSystem | null = null;
try {
  const admin = await BrokerAdmin.connect(kafka.connection);
  await admin.createTopics(["bench_config", "bench_status", "bench_data"].map((topic) => ({ topic, partitions: 4 })));
  await admin.close();
  const stream = (channel: string): Stream => ({
    channel,
    schema: "f144",
    topic: "bench_data",
    protocol: "CA",
    periodic: 0,
  });
  const streams = [...Array.from({ length: PVS }, (_, i) => stream(`BENCH:BENCH${i}`)), stream("BENCH:BIGARRAY")];
  system = await ActorSystem.start(forwarderTree({
    kafka: kafka.connection,
    configTopic: "bench_config",
    statusTopic: "bench_status",
    skipRetrieval: true,
    statusIntervalMs: 4000,
    groups: 4,
    serviceId: "bench",
    ca: ioc.client,
    streams,
    version: "bench",
  }));
  const serialiser = system.ref<SerialiserProtocol>("serialiser");
  for (let i = 0; i < 600; i++) {
    const s = await serialiser.request("stats", null, { timeoutMs: 120_000 });
    if (s.pvsConnected === PVS + 1 && s.acked >= s.forwarded) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const phase = async (command: string, bytesPerUpdate: number, name: string, goal: string) => {
    const before = await serialiser.request("stats", null, { timeoutMs: 120_000 });
    const cpu0 = await cpuSeconds();
    const t0 = performance.now();
    const sent = Number((await ioc.command(command)).split(" ")[1]);
    for (let i = 0; i < 300; i++) {
      const s = await serialiser.request("stats", null, { timeoutMs: 120_000 });
      if (s.acked >= s.forwarded) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = await serialiser.request("stats", null, { timeoutMs: 120_000 });
    const cpu = (await cpuSeconds()) - cpu0;
    const forwarded = after.acked - before.acked;
    const rate = forwarded / seconds;
    report({
      bench: BENCH,
      figure: `${name} updates/s to Kafka`,
      value: rate,
      unit: "updates/s",
      anchor: "IOC updates/s",
      anchorValue: sent / SECONDS,
      goal,
    });
    report({ bench: BENCH, figure: `${name} MB/s to Kafka`, value: rate * bytesPerUpdate / 1e6, unit: "MB/s" });
    report({ bench: BENCH, figure: `${name} forwarder CPU`, value: cpu / seconds, unit: "cores" });
    report({
      bench: BENCH,
      figure: `${name} share of IOC updates forwarded`,
      value: forwarded / sent,
      unit: "fraction",
    });
  }; // deno-fmt-ignore
  await phase(`storm ${SECONDS}`, 72, `${PVS} scalar PVs`, "1e5 updates/s");
  await phase(`wave ${SECONDS} 10000`, 2048 * 8 + 72, "2048-double PV", "10000 updates/s");
} finally {
  await system?.stop();
  await ioc.stop();
  await kafka.stop();
}
Deno.exit(0);
