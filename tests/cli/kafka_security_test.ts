/**
 * The same Kafka options on every command, against a SASL SCRAM + TLS broker (the test CA, the password in a file):
 * `nxflow efu` creates its topics and produces ev44 there, `nxflow inspect` reads them back, `nxflow forwarder`
 * forwards a PV of a real IOC, and `nxflow forwarder-config` adds another PV to it; all as real subprocesses.
 */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { startIoc, type TestIoc } from "../_harness/ioc.ts";
import { startKafka } from "../_harness/kafka.ts";
import { type NxflowProcess, reap, runNxflow, spawnNxflow } from "../_harness/process.ts";
import { eventually } from "../_harness/wait.ts";

const MONITORS = {
  instrument: "amor",
  family: "cbm",
  maxTofNs: 1_000_000_000,
  geometry: { monitors: [{ ring: 0, fen: 0, channel: 0, kind: "0D", source: "monitor_0d", offset: 1 }] },
};

function freeUdpPort(): number {
  const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Ends a long-running command with a signal; resolves to its exit code. */
async function stop(p: NxflowProcess, signal: Deno.Signal): Promise<number> {
  p.child.kill(signal);
  return (await p.child.status).code;
}

Deno.test("efu, inspect, forwarder and forwarder-config work against a SASL/TLS broker with the Kafka options", async (t) => {
  const kafka = await startKafka({ sasl: { tls: true }, heapMb: 512 });
  const dir = await Deno.makeTempDir({ prefix: "nxflow-kafka-options-" });
  const running: NxflowProcess[] = [];
  let ioc: TestIoc | null = null;
  try {
    const s = kafka.security!;
    assert.ok(s.tls && s.caPem, "SASL_SSL with the test CA");
    await Deno.writeTextFile(`${dir}/kafka.pass`, `${s.password}\n`);
    const secure = [
      ...["--brokers", kafka.bootstrap, "--sasl", "SCRAM-SHA-512", "--sasl-username", s.username],
      ...["--sasl-password-file", `${dir}/kafka.pass`, "--tls-ca-file", s.caPem!],
    ];
    const noSecret = (lines: string[]) => assert.ok(!lines.join("\n").includes(s.password), "password not shown");

    await t.step("efu creates its topics and produces ev44; inspect reads them back", async () => {
      await Deno.writeTextFile(`${dir}/amor.json`, JSON.stringify(MONITORS));
      await Deno.writeTextFile(`${dir}/events.txt`, ["1 1000", "1 2000000", "1 30000000"].join("\n"));
      const udp = String(freeUdpPort());
      const efu = spawnNxflow([
        ...["efu", "--detector", `${dir}/amor.json`, "--port", udp, "--command-port", String(freeTcpPort())],
        ...["--stop-after", "300", ...secure],
      ]);
      running.push(efu);
      await efu.line(/receiving cbm readouts on udp/, 90_000);
      const gen = await runNxflow([
        ...["readout-gen", "--detector", `${dir}/amor.json`, "--port", udp, "--replay", `${dir}/events.txt`],
        ...["--packets", "10", "--rate", "100", "--packets-per-pulse", "5", "--packet-bytes", "132"],
      ]);
      assert.equal(gen.code, 0, gen.stderr);
      const read = await runNxflow(["inspect", "--topic", "amor_detector", "--follow", "--count", "1", ...secure]);
      assert.equal(read.code, 0, read.stderr);
      const line = JSON.parse(read.stdout.trim().split("\n")[0]);
      assert.equal(line.schema, "ev44");
      assert.equal(line.message.source_name, "monitor_0d");
      const status = await runNxflow(["inspect", "--topic", "amor_status", "--follow", "--count", "1", ...secure]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /"schema":"x5f2"/);
      assert.equal(await stop(efu, "SIGTERM"), 0);
      noSecret([...efu.lines, read.stdout, read.stderr, status.stderr]);
    });

    await t.step("a wrong password in the file is a clear authentication error that does not show it", async () => {
      await Deno.writeTextFile(`${dir}/wrong.pass`, "not-the-password-7");
      const wrong = secure.map((a) => a === `${dir}/kafka.pass` ? `${dir}/wrong.pass` : a);
      const out = await runNxflow(["inspect", "--topic", "amor_detector", ...wrong]);
      assert.equal(out.code, 2);
      assert.match(out.stderr, /authentication failed/i);
      assert.ok(!out.stderr.includes("not-the-password-7"));
    });

    await t.step("forwarder forwards a PV; forwarder-config adds another; inspect follows the data topic", async () => {
      ioc = await startIoc();
      const admin = await BrokerAdmin.connect(kafka.connection);
      await admin.createTopics(["sec_config", "sec_status", "sec_data"].map((topic) => ({ topic })));
      await admin.close();
      await Deno.writeTextFile(
        `${dir}/streams.json`,
        JSON.stringify([{ channel: "SIMPLE:DOUBLE", schema: "f144", topic: "sec_data", protocol: "CA" }]),
      );
      const forwarder = spawnNxflow([
        ...["forwarder", "--config-topic", "sec_config", "--status-topic", "sec_status", "--streams"],
        ...[`${dir}/streams.json`, "--groups", "1", "--ca-addr-list", "127.0.0.1"],
        ...["--ca-server-port", String(ioc.port), ...secure],
      ]);
      running.push(forwarder);
      const watch = spawnNxflow(["inspect", "--topic", "sec_data", "--follow", ...secure]);
      running.push(watch);
      const f144 = (key: string, value: string) => (lines: string[]) =>
        lines.some((l) => l.includes('"schema":"f144"') && l.includes(`"key":"${key}"`) && l.includes(value));
      await eventually(
        "f144 2.75 of SIMPLE:DOUBLE",
        async () => {
          await ioc!.set("DOUBLE", 2.75);
          return watch.lines;
        },
        f144("SIMPLE:DOUBLE", "2.75"),
        90_000,
      );
      const add = await runNxflow([
        ...["forwarder-config", "add", "--topic", "sec_config", "--channel", "SIMPLE:DOUBLE2"],
        ...["--schema", "f144", "--output-topic", "sec_data", "--protocol", "ca", ...secure],
      ]);
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stdout, /ADD sent to /);
      await eventually(
        "f144 1.125 of SIMPLE:DOUBLE2",
        async () => {
          await ioc!.set("DOUBLE2", 1.125);
          return watch.lines;
        },
        f144("SIMPLE:DOUBLE2", "1.125"),
        60_000,
      );
      assert.equal(await stop(watch, "SIGINT"), 0);
      assert.equal(await stop(forwarder, "SIGTERM"), 0);
      noSecret([...forwarder.lines, ...watch.lines, add.stdout, add.stderr]);
    });
  } finally {
    for (const p of running) await reap(p);
    await (ioc as TestIoc | null)?.stop();
    await kafka.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
