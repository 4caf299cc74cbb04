import assert from "node:assert/strict";
import { startKafka } from "../_harness/kafka.ts";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { freeUdpPort, readTopic } from "./efu_harness.ts";
import { eventually } from "../_harness/wait.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;
const MONITORS = {
  instrument: "amor",
  family: "cbm",
  maxTofNs: 1_000_000_000,
  geometry: {
    monitors: [
      { ring: 0, fen: 0, channel: 0, kind: "0D", source: "monitor_0d", offset: 1 },
      { ring: 0, fen: 1, channel: 2, kind: "2D", source: "monitor_2d", offset: 10, width: 64, height: 32 },
    ],
  },
};

function freeTcpPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function command(port: number, line: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(line + "\n"));
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim();
  } finally {
    conn.close();
  }
}

Deno.test("nxflow efu with a beam monitor config, fed by nxflow readout-gen replaying an event list; EXIT stops it", async () => {
  const kafka = await startKafka();
  const dir = await Deno.makeTempDir({ prefix: "nxflow-efu-cli-" });
  const udp = freeUdpPort();
  const cmd = freeTcpPort();
  let efu: Deno.ChildProcess | null = null;
  try {
    const admin = await BrokerAdmin.connect(kafka.connection);
    await admin.createTopics([{ topic: "amor_detector" }, { topic: "amor_status" }]);
    await admin.close();
    await Deno.writeTextFile(`${dir}/amor.json`, JSON.stringify(MONITORS));
    const replay = ["# pixel tof_ns", "1 1000", "11 2000000", "42 30000000", "2057 60000000", "1 70000000"];
    await Deno.writeTextFile(`${dir}/events.txt`, replay.join("\n"));
    const efuArgs = ["run", "-A", MOD, "efu", "--detector", `${dir}/amor.json`, "--port", String(udp)];
    efuArgs.push("--brokers", kafka.bootstrap, "--command-port", String(cmd), "--stop-after", "120");
    efu = new Deno.Command(Deno.execPath(), { args: efuArgs, stdout: "null", stderr: "null" }).spawn();
    await eventually("command API up", () => command(cmd, "DETECTOR_INFO_GET").catch(() => ""), (a) => a !== "");
    assert.equal(await command(cmd, "DETECTOR_INFO_GET"), "DETECTOR_INFO_GET amor");
    const gen = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MOD, "readout-gen", "--detector", `${dir}/amor.json`, "--port", String(udp)]
        .concat(["--replay", `${dir}/events.txt`, "--packets", "20", "--rate", "200", "--packets-per-pulse", "5"])
        .concat(["--expect", `${dir}/expected.txt`, "--packet-bytes", "132"]),
      stdout: "piped",
    }).output();
    assert.ok(gen.success);
    const summary = JSON.parse(new TextDecoder().decode(gen.stdout).trim());
    assert.equal(summary.packets, 20);
    assert.equal(summary.readouts, 100);
    assert.equal(summary.expectedEvents, 100);
    const expected = (await Deno.readTextFile(`${dir}/expected.txt`)).trim().split("\n").sort();
    assert.equal(expected.length, 100);
    await eventually(
      "100 events produced",
      () => command(cmd, "STAT_GET_NAME efu.amor.0.produce.events"),
      (a) => a.endsWith(" 100"),
    );
    const records = await readTopic(
      kafka.connection,
      "amor_detector",
      (r) => r.reduce((n, x) => n + (x.message.pixel_id?.length ?? 0), 0) >= 100,
    );
    const got = records.flatMap(({ message: m }) =>
      [...m.pixel_id!].map((p, i) => `${m.reference_time[0]} ${p} ${m.time_of_flight![i]}`)
    ).sort();
    assert.deepEqual(got, expected);
    assert.deepEqual(new Set(records.map((r) => r.message.source_name)), new Set(["monitor_0d", "monitor_2d"]));
    assert.equal(await command(cmd, "EXIT"), "<OK>");
    const status = await efu.status;
    efu = null;
    assert.equal(status.code, 0);
  } finally {
    if (efu) {
      efu.kill("SIGKILL");
      await efu.status;
    }
    await Deno.remove(dir, { recursive: true });
    await kafka.stop();
  }
});

Deno.test("nxflow start runs the efu role from the configuration file, on the configured Kafka", async () => {
  const kafka = await startKafka();
  const dir = await Deno.makeTempDir({ prefix: "nxflow-efu-start-" });
  const udp = freeUdpPort();
  const cmd = freeTcpPort();
  const start = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, "start", "--config", `${dir}/nxflow.json`, "--no-admin"],
    stdout: "null",
    stderr: "null",
  });
  let proc: Deno.ChildProcess | null = null;
  try {
    await Deno.writeTextFile(`${dir}/amor.json`, JSON.stringify(MONITORS));
    await Deno.writeTextFile(
      `${dir}/nxflow.json`,
      JSON.stringify({
        kafka: { brokers: kafka.connection.brokers },
        roles: { efu: { enabled: true, detector: `${dir}/amor.json`, port: udp, commandPort: cmd } },
      }),
    );
    proc = start.spawn();
    await eventually("command API up", () => command(cmd, "DETECTOR_INFO_GET").catch(() => ""), (a) => a !== "");
    const gen = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MOD, "readout-gen", "--detector", `${dir}/amor.json`, "--port", String(udp)]
        .concat(["--packets", "10", "--rate", "100", "--header-version", "0"]),
      stdout: "piped",
    }).output();
    const summary = JSON.parse(new TextDecoder().decode(gen.stdout).trim());
    await eventually(
      "every event produced",
      () => command(cmd, "STAT_GET_NAME efu.amor.0.produce.events"),
      (a) => a.endsWith(` ${summary.expectedEvents}`),
    );
    const records = await readTopic(
      kafka.connection,
      "amor_detector",
      (r) => r.reduce((n, x) => n + (x.message.pixel_id?.length ?? 0), 0) >= summary.expectedEvents,
    );
    assert.equal(records.reduce((n, x) => n + x.message.pixel_id!.length, 0), summary.expectedEvents);
    proc.kill("SIGTERM");
    assert.equal((await proc.status).code, 0);
    proc = null;
  } finally {
    if (proc) {
      proc.kill("SIGKILL");
      await proc.status;
    }
    await Deno.remove(dir, { recursive: true });
    await kafka.stop();
  }
});

Deno.test("under nxflow start, EXIT stops only the EFU it is sent to; nxflow ends when no role is left", async () => {
  const kafka = await startKafka();
  const dir = await Deno.makeTempDir({ prefix: "nxflow-efu-exit-" });
  const [cmdA, cmdB] = [freeTcpPort(), freeTcpPort()];
  let proc: Deno.ChildProcess | null = null;
  try {
    await Deno.writeTextFile(`${dir}/amor.json`, JSON.stringify(MONITORS));
    const efu = (port: number, commandPort: number) => ({ detector: `${dir}/amor.json`, port, commandPort });
    await Deno.writeTextFile(
      `${dir}/nxflow.json`,
      JSON.stringify({
        kafka: { brokers: kafka.connection.brokers },
        roles: { efu: { instances: { a: efu(freeUdpPort(), cmdA), b: efu(freeUdpPort(), cmdB) } } },
      }),
    );
    const args = ["run", "-A", MOD, "start", "--config", `${dir}/nxflow.json`, "--no-admin"];
    proc = new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "null" }).spawn();
    let ended = false;
    const status = proc.status.finally(() => ended = true);
    for (const port of [cmdA, cmdB]) {
      await eventually(`command API ${port} up`, () => command(port, "DETECTOR_INFO_GET").catch(() => ""), Boolean);
    }
    assert.equal(await command(cmdA, "EXIT"), "<OK>");
    const apiA = () => command(cmdA, "VERSION_GET").then(() => "open", () => "closed");
    await eventually("EFU a's command API closed", apiA, (state) => state === "closed");
    assert.equal(await command(cmdB, "DETECTOR_INFO_GET"), "DETECTOR_INFO_GET amor", "EFU b still runs");
    assert.equal(ended, false, "nxflow still runs");
    assert.equal(await command(cmdB, "EXIT"), "<OK>");
    assert.equal((await status).code, 0);
    proc = null;
  } finally {
    if (proc) {
      proc.kill("SIGKILL");
      await proc.status;
    }
    await Deno.remove(dir, { recursive: true });
    await kafka.stop();
  }
});
