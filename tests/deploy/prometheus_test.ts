/**
 * `GET /metrics` scraped by a real Prometheus (Debian's `prometheus` package, installed when missing, on loopback):
 * an EFU fed a fixed burst of readout datagrams stops counting, and the counters Prometheus stored equal the ones
 * `GET /stats` and `GET /tree` report. `promtool check metrics` accepts the exposition.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { aptInstall } from "../_harness/apt.ts";
import { startKafka } from "../_harness/kafka.ts";
import { eventually } from "../_harness/wait.ts";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { snake, statMetric } from "../../actors/admin/metrics.ts";
import { freeUdpPort } from "../efu/efu_harness.ts";
import { getJson, spawnWithEnv } from "./support.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;
const DETECTOR = {
  instrument: "amor",
  family: "cbm",
  maxTofNs: 1_000_000_000,
  geometry: { monitors: [{ ring: 0, fen: 0, channel: 0, kind: "0D", source: "monitor_0d", offset: 1 }] },
};

function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function ensurePrometheus(): Promise<void> {
  const found = await new Deno.Command("sh", { args: ["-c", "command -v prometheus && command -v promtool"] }).output();
  if (!found.success) await aptInstall("--no-install-recommends", "prometheus");
}

type Vector = { metric: Record<string, string>; value: [number, string] }[];

async function query(prom: string, expr: string): Promise<Vector> {
  const body = await getJson<{ status: string; data: { result: Vector } }>(
    `${prom}/api/v1/query?query=${encodeURIComponent(expr)}`,
  );
  assert.equal(body.status, "success");
  return body.data.result;
}

Deno.test("a real Prometheus scrapes GET /metrics: its counters equal GET /stats and GET /tree", async () => {
  await ensurePrometheus();
  const kafka = await startKafka();
  const dir = await Deno.makeTempDir({ prefix: "nxflow-prometheus-" });
  const adminPort = freeTcpPort();
  const admin = `http://127.0.0.1:${adminPort}`;
  const udp = freeUdpPort();
  let efu, prometheus;
  try {
    const brokerAdmin = await BrokerAdmin.connect(kafka.connection);
    await brokerAdmin.createTopics([{ topic: "amor_detector" }, { topic: "amor_status" }]);
    await brokerAdmin.close();
    await Deno.writeTextFile(join(dir, "amor.json"), JSON.stringify(DETECTOR));
    await Deno.writeTextFile(join(dir, "events.txt"), ["# pixel tof_ns", "1 1000", "1 2000000"].join("\n"));
    await Deno.writeTextFile(
      join(dir, "nxflow.json"),
      JSON.stringify({
        kafka: { brokers: kafka.connection.brokers },
        roles: { efu: { enabled: true, detector: join(dir, "amor.json"), port: udp, commandPort: freeTcpPort() } },
      }),
    );
    efu = spawnWithEnv(Deno.execPath(), [
      ...["run", "-A", MOD, "start", "--config", join(dir, "nxflow.json"), "--admin-port", String(adminPort)],
    ]);
    await efu.line(/admin endpoint on/, 60_000);
    const gen = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MOD, "readout-gen", "--detector", join(dir, "amor.json"), "--port", String(udp)]
        .concat(["--replay", join(dir, "events.txt"), "--packets", "20", "--rate", "200", "--packets-per-pulse", "5"]),
      stdout: "null",
    }).output();
    assert.ok(gen.success, "readout-gen sent its burst");
    type Stats = { stats: Record<string, Record<string, number>> };
    const steady = await eventually("the EFU's counters stop moving", async () => {
      const a = await getJson<Stats>(`${admin}/stats`);
      await new Promise((r) => setTimeout(r, 1500));
      const b = await getJson<Stats>(`${admin}/stats`);
      return { a, b };
    }, ({ a, b }) => {
      const reader = Object.keys(b.stats).find((p) => p.endsWith("/reader") || p.includes("socket"));
      return reader !== undefined && JSON.stringify(a.stats[reader]) === JSON.stringify(b.stats[reader]) &&
        Object.values(b.stats[reader]).some((v) => v === 20);
    }, 60_000);

    const check = await new Deno.Command("sh", { args: ["-c", `curl -sf ${admin}/metrics | promtool check metrics`] })
      .output();
    assert.ok(check.success, `promtool check metrics: ${new TextDecoder().decode(check.stderr)}`);

    const promPort = freeTcpPort();
    await Deno.writeTextFile(
      join(dir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: nxflow\n    static_configs:\n` +
        `      - targets: ["127.0.0.1:${adminPort}"]\n        labels: {service: efu}\n`,
    );
    prometheus = spawnWithEnv("prometheus", [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ]);
    const prom = `http://127.0.0.1:${promPort}`;
    const reader = Object.keys(steady.b.stats).find((p) => p.endsWith("/reader") || p.includes("socket"))!;
    const tree = await getJson<{ root: { children: unknown[] } }>(`${admin}/tree`);
    const modules = new Map<string, string>();
    const walk = (n: { kind: string; path: string; module?: string; children?: unknown[] }) => {
      if (n.kind === "actor") modules.set(n.path, n.module!);
      (n.children as typeof n[] | undefined)?.forEach(walk);
    };
    walk(tree.root as never);
    const family = modules.get(reader)!.replace(/\.ts$/, "").split("/").slice(-2).join("_");
    const compared: string[] = [];
    await eventually(
      "Prometheus has scraped nxflow",
      () => query(prom, "up{job='nxflow'}").catch(() => [] as Vector),
      (r) => r[0]?.value[1] === "1",
      60_000,
    );
    for (const [field, value] of Object.entries(steady.b.stats[reader])) {
      const m = statMetric(field);
      if (m.kind !== "counter" || typeof value !== "number") continue;
      const name = `nxflow_${snake(family)}_${m.name}`;
      const result = await eventually(name, () => query(prom, name), (r) => r.length === 1, 30_000);
      assert.equal(Number(result[0].value[1]), value, `${name} in Prometheus equals ${field} of GET /stats`);
      assert.equal(result[0].metric.role, "efu");
      compared.push(`${name}=${value}`);
    }
    assert.ok(compared.some((c) => c.endsWith("=20")), `the 20 datagrams are among ${compared}`);
    console.log(`Prometheus = GET /stats for: ${compared.join(", ")}`);
    const restarts = await query(prom, "sum(nxflow_actor_restarts_total{role='efu'})");
    assert.equal(Number(restarts[0].value[1]), 0, "no restarts, as GET /tree says");
    const exposition = await (await fetch(`${admin}/metrics`)).text();
    const dashboard = await Deno.readTextFile(new URL("../../scripts/grafana/nxflow.json", import.meta.url));
    JSON.parse(dashboard);
    const shown = new Set(dashboard.match(/nxflow_[a-z0-9_]+/g));
    const here = [...shown].filter((n) => /^nxflow_(actor|build|leaked|process|broker_producer|efu)_/.test(n));
    assert.ok(here.length >= 8, `the dashboard uses ${[...shown]}`);
    for (const name of here) assert.match(exposition, new RegExp(`^# TYPE ${name} `, "m"), `dashboard metric ${name}`);
    const build = await query(prom, "nxflow_build_info");
    assert.match(build[0].metric.version, /^\d+\.\d+\.\d+\+[0-9a-f]{12}/);
  } finally {
    await prometheus?.reap();
    await efu?.reap();
    await kafka.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
