/**
 * The forwarder's throughput on a real source and a real Kafka (one run, JSON lines), Channel Access and pvAccess
 * side by side: CA from a pythonSoftIOC, PVA from a p4p (pvxs) server, one after the other on the same Kafka.
 *
 * - 1,000 scalar PVs that the source updates as fast as it can: updates/s forwarded to Kafka as f144, against the
 *   source's own update rate (the anchor), the forwarder's CPU (this process plus its CA child processes) and its
 *   CPU per forwarded update;
 * - one PV of 2,048 doubles updated at up to 10 kHz (ESS's reference case): updates/s, MB/s of f144 and CPU.
 *
 * Goals from the issue: ≥ 1e5 scalar updates/s; the 2,048-double PV at 10 kHz sustained. When the source's rate is
 * below the goal, the source (one Python thread) is the limit, and the figures say so. PVA monitors are pipelined
 * (window 32): a forwarder that falls behind makes the server squash updates, seen as a share forwarded below 1.
 *
 * Each phase also reports the 1-minute load average before it; the counts at each stage (updates sent by the IOC,
 * received by the monitor groups, dropped by the timestamp filter; records forwarded by the serialiser and
 * acknowledged by Kafka), so a loss shows where it happens; and the CPU of the forwarder's actors (this process), of
 * its CA child processes, of the IOC and of Kafka, so it shows who used the machine's 2 cores. CA merges a PV's updates
 * when a client falls behind, so a slow forwarder shows as a share forwarded below 1 with no loss at any stage.
 *
 * Usage: deno run -A scripts/bench/forwarder_throughput.ts [--seconds 5] [--pvs 1000] [--protocol ca|pva|both]
 */
import { parseArgs } from "node:util";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { forwarderTree } from "../../actors/forwarder/tree.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import type { MonitorProtocol, SerialiserProtocol, Stream } from "../../protocols/forwarder.ts";
import { startIoc } from "../../tests/_harness/ioc.ts";
import { startP4p } from "../../tests/_harness/p4p.ts";
import { startKafka } from "../../tests/_harness/kafka.ts";
import { report } from "./support/report.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    pvs: { type: "string", default: "1000" },
    protocol: { type: "string", default: "both" },
  },
});
const SECONDS = Number(values.seconds);
const PVS = Number(values.pvs);
const BENCH = "forwarder_throughput";
const GROUPS = 4;
const TICKS_PER_SECOND = 100;

/** Processes whose CPU the benchmark reports, by a part of their command line. */
const KINDS = { ca: "ca_process.ts", ioc: "simple_ioc.py", p4p: "p4p_server.py", kafka: "kafka.Kafka" } as const;
type Kind = keyof typeof KINDS | "self";

function stat(pid: string): { ticks: number; parent: string } {
  const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { ticks: Number(fields[11]) + Number(fields[12]), parent: fields[1] };
}

/** CPU ticks so far of this process and of its descendants of each kind (Linux /proc). */
function ticksByKind(): Record<Kind, number> {
  const out: Record<Kind, number> = { self: stat("self").ticks, ca: 0, ioc: 0, p4p: 0, kafka: 0 };
  const self = String(Deno.pid);
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name) || entry.name === self) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      const kind = (Object.keys(KINDS) as (keyof typeof KINDS)[]).find((k) => cmdline.includes(KINDS[k]));
      if (!kind) continue;
      let pid = entry.name;
      for (let depth = 0; depth < 6 && pid !== self && pid !== "0"; depth++) pid = stat(pid).parent;
      if (pid === self) out[kind] += stat(entry.name).ticks;
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** A source of updates: what it sends when asked, and how many it sent. */
interface Source {
  name: "CA" | "PVA";
  kind: "ioc" | "p4p";
  streams: Stream[];
  scalars(): Promise<number>;
  array(): Promise<number>;
  stop(): Promise<void>;
}

async function caSource(): Promise<Source & { client: Parameters<typeof forwarderTree>[0]["ca"] }> {
  const ioc = await startIoc({ prefix: "BENCH:", scalars: PVS });
  const stream = (channel: string): Stream => ({
    channel,
    schema: "f144",
    topic: "bench_data",
    protocol: "CA",
    periodic: 0,
  });
  return {
    name: "CA",
    kind: "ioc",
    client: ioc.client,
    streams: [...Array.from({ length: PVS }, (_, i) => stream(`BENCH:BENCH${i}`)), stream("BENCH:BIGARRAY")],
    scalars: async () => Number((await ioc.command(`storm ${SECONDS}`)).split(" ")[1]),
    array: async () => Number((await ioc.command(`wave ${SECONDS} 10000`)).split(" ")[1]),
    stop: () => ioc.stop(),
  };
}

async function pvaSource(): Promise<Source & { addrList: string }> {
  const server = await startP4p({ prefix: "PBENCH:", scalars: PVS });
  const stream = (channel: string): Stream => ({
    channel,
    schema: "f144",
    topic: "bench_data",
    protocol: "PVA",
    periodic: 0,
  });
  const storm = async (c: Record<string, unknown>) =>
    Number((await server.command({ op: "storm", ...c })).split(" ")[1]);
  return {
    name: "PVA",
    kind: "p4p",
    addrList: server.addrList,
    streams: [...Array.from({ length: PVS }, (_, i) => stream(`PBENCH:BENCH${i}`)), stream("PBENCH:ARRAY")],
    scalars: () => storm({ seconds: SECONDS, scalars: PVS }),
    array: () => storm({ seconds: SECONDS, array: true, hz: 10_000 }),
    stop: () => server.stop(),
  };
}

async function run(kafka: Awaited<ReturnType<typeof startKafka>>, source: Source, ca: string, pva: string) {
  const system = await ActorSystem.start(forwarderTree({
    kafka: kafka.connection,
    configTopic: "bench_config",
    statusTopic: "bench_status",
    skipRetrieval: true,
    statusIntervalMs: 4000,
    groups: GROUPS,
    serviceId: "bench",
    ca: { addrList: ca, serverPort: Number(ca.split(":")[1] ?? 5064) },
    pva: { addrList: pva },
    streams: source.streams,
    version: "bench",
  }));
  try {
    const serialiser = system.ref<SerialiserProtocol>("serialiser");
    const monitors = Array.from({ length: GROUPS }, (_, i) => system.ref<MonitorProtocol>(`monitor_${i}`));
    const received = async () => {
      const all = await Promise.all(monitors.map((m) => m.request("stats", null, { timeoutMs: 120_000 })));
      return all.reduce((n, s) => n + s.updates, 0);
    };
    for (let i = 0; i < 600; i++) {
      const s = await serialiser.request("stats", null, { timeoutMs: 120_000 });
      if (s.pvsConnected === PVS + 1 && s.acked >= s.forwarded) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const phase = async (send: () => Promise<number>, bytesPerUpdate: number, what: string, goal: string) => {
      const name = `${source.name} ${what}`;
      report({ bench: BENCH, figure: `${name} load average before`, value: Deno.loadavg()[0], unit: "1-min load" });
      const before = await serialiser.request("stats", null, { timeoutMs: 120_000 });
      const received0 = await received();
      const ticks0 = ticksByKind();
      const t0 = performance.now();
      const sent = await send();
      for (let i = 0; i < 300; i++) {
        const s = await serialiser.request("stats", null, { timeoutMs: 120_000 });
        if (s.acked >= s.forwarded) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - t0) / 1000;
      const after = await serialiser.request("stats", null, { timeoutMs: 120_000 });
      const ticks1 = ticksByKind();
      const cores = (kind: Kind) => (ticks1[kind] - ticks0[kind]) / TICKS_PER_SECOND / seconds;
      const forwarded = after.acked - before.acked;
      const rate = forwarded / seconds;
      const anchor = `${source.kind === "ioc" ? "IOC" : "p4p"} updates/s`;
      report({
        bench: BENCH,
        figure: `${name} updates/s to Kafka`,
        value: rate,
        unit: "updates/s",
        anchor,
        anchorValue: sent / SECONDS,
        goal,
      });
      report({ bench: BENCH, figure: `${name} MB/s to Kafka`, value: rate * bytesPerUpdate / 1e6, unit: "MB/s" });
      const forwarderCores = cores("self") + cores("ca");
      report({ bench: BENCH, figure: `${name} forwarder CPU`, value: forwarderCores, unit: "cores" });
      report({
        bench: BENCH,
        figure: `${name} forwarder CPU per update`,
        value: forwarderCores * seconds / forwarded * 1e6,
        unit: "µs",
      });
      const cpu = {
        "forwarder actors": cores("self"),
        "CA child processes": cores("ca"),
        source: cores(source.kind),
        Kafka: cores("kafka"),
      };
      for (const [who, value] of Object.entries(cpu)) {
        report({ bench: BENCH, figure: `${name} CPU of ${who}`, value, unit: "cores" });
      }
      const stages = {
        "sent by the source": sent,
        "received by the monitor groups": (await received()) - received0,
        "dropped by the timestamp filter": after.droppedTimestamps - before.droppedTimestamps,
        "records forwarded by the serialiser": after.forwarded - before.forwarded,
        "records acknowledged by Kafka": forwarded,
      };
      for (const [stage, value] of Object.entries(stages)) {
        report({ bench: BENCH, figure: `${name} ${stage}`, value, unit: "count" });
      }
      // the serialiser's mean is over all its records so far: take out those of before this phase
      const records = after.forwarded - before.forwarded;
      const latencyMs = (after.sendLatencyMs * after.forwarded - before.sendLatencyMs * before.forwarded) / records;
      report({ bench: BENCH, figure: `${name} mean time from serialiser to Kafka ack`, value: latencyMs, unit: "ms" });
      report({
        bench: BENCH,
        figure: `${name} share of source updates forwarded`,
        value: forwarded / sent,
        unit: "fraction",
      });
    };
    await phase(source.scalars, 72, `${PVS} scalar PVs`, "1e5 updates/s");
    await phase(source.array, 2048 * 8 + 72, "2048-double PV", "10000 updates/s");
  } finally {
    await system.stop();
  }
}

const kafka = await startKafka({ heapMb: 1024 });
try {
  const admin = await BrokerAdmin.connect(kafka.connection);
  await admin.createTopics(["bench_config", "bench_status", "bench_data"].map((topic) => ({ topic, partitions: 4 })));
  await admin.close();
  if (values.protocol !== "pva") {
    const ca = await caSource();
    try {
      await run(kafka, ca, `127.0.0.1:${ca.client.serverPort}`, "127.0.0.1:9");
    } finally {
      await ca.stop();
    }
  }
  if (values.protocol !== "ca") {
    const pva = await pvaSource();
    try {
      await run(kafka, pva, "127.0.0.1:9", pva.addrList);
    } finally {
      await pva.stop();
    }
  }
} finally {
  await kafka.stop();
}
Deno.exit(0);
