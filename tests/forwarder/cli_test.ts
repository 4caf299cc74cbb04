/**
 * `nxflow forwarder` and `nxflow start` with the forwarder role, as processes: bad options fail loudly; with a
 * streams file both forward a CA put and a PVA post (p4p; a stream without protocol is PVA) and stop on SIGTERM;
 * `nxflow forwarder-config add --protocol ca` adds a PV to a running one and `forwarder-config list` shows the
 * stored streams (JSON and table).
 */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { startIoc } from "../_harness/ioc.ts";
import { startKafka } from "../_harness/kafka.ts";
import { startP4p, type TestP4p } from "../_harness/p4p.ts";
import { decode, startProbes } from "./harness.ts";
import type { ProbeProtocol } from "../_fixtures/actors/kafka_probe.ts";
import { eventually } from "../_harness/wait.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;

function nxflow(args: string[], output: "piped" | "null" = "piped", command = "forwarder"): Deno.ChildProcess {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, command, ...args],
    stdout: output,
    stderr: output,
  });
  return process.spawn();
}

Deno.test("nxflow forwarder rejects bad options and a bad streams file with exit code 2", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify([{ channel: "PV:A", schema: "f144", topic: "t", protocol: "FAKE" }]));
    const base = ["--output-broker", "127.0.0.1:9", "--config-topic", "c", "--status-topic", "s"];
    for (
      const [args, message] of [
        [["--output-broker", "127.0.0.1:9", "--config-topic", "c"], "--status-topic is required"],
        [[...base, "--groups", "0"], "groups: an integer from 1 to 64, got 0"],
        [[...base, "--status-topic", "other:1/s"], "must be the output broker"],
        [[...base, "--pva-addr-list", "a:b:c"], "Cannot use PVA address"],
        [[...base, "--streams", file], "protocol FAKE is not supported"],
      ] as const
    ) {
      const out = await nxflow([...args]).output();
      assert.equal(out.code, 2, message);
      assert.match(new TextDecoder().decode(out.stderr), new RegExp(message.replace(/[-]/g, "\\-")));
    }
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("nxflow forwarder and nxflow start (forwarder role) forward the streams file's PVs, stop on SIGTERM", async () => {
  const kafka = await startKafka({ heapMb: 512 });
  const ioc = await startIoc().catch(async (e) => {
    await kafka.stop();
    throw e;
  });
  const file = await Deno.makeTempFile({ suffix: ".json" });
  let child: Deno.ChildProcess | null = null;
  const admin = await BrokerAdmin.connect(kafka.connection);
  await admin.createTopics(
    ["cli_config", "cli_status", "cli_storage", "cli_data", "start_data"].map((topic) => ({ topic })),
  );
  await admin.close();
  const probes = await startProbes(kafka.connection, ["cli_data", "start_data"]);
  const settings = await Deno.makeTempFile({ suffix: ".json" });
  let pva: TestP4p | null = null;
  try {
    pva = await startP4p({ prefix: "CLI:" });
    await Deno.writeTextFile(
      file,
      JSON.stringify([
        { channel: "SIMPLE:DOUBLE", schema: "f144", topic: "cli_data", protocol: "CA" },
        { channel: "CLI:SCALAR_d", schema: "f144", topic: "cli_data" },
      ]),
    );
    child = nxflow([
      ...["--output-broker", kafka.bootstrap, "--config-topic", "cli_config", "--status-topic", "cli_status"],
      ...["--storage-topic", "cli_storage"],
      ...["--streams", file, "--groups", "1", "--ca-addr-list", "127.0.0.1", "--ca-server-port", String(ioc.port)],
      ...["--pva-addr-list", pva.addrList],
    ], "null");
    const probe = probes.ref<ProbeProtocol>("probe");
    const seen = async () => (await probe.request("seen", null)).map(decode);
    await eventually(
      "ep01 CONNECTED",
      seen,
      (all) => all.some((d) => d.id === "ep01" && d.message.status === "CONNECTED"),
      60_000,
    );
    await ioc.set("DOUBLE", 2.75);
    await eventually("f144 2.75", seen, (all) => all.some((d) => d.id === "f144" && d.message.value.value === 2.75));
    const server = pva;
    await eventually("PVA f144 of the streams file's stream without protocol", async () => {
      await server.post({ name: "SCALAR_d", value: 6.5 });
      return await seen();
    }, (all) => all.some((d) => d.id === "f144" && d.key === "CLI:SCALAR_d" && d.message.value.value === 6.5));
    const add = await nxflow(
      [
        ...["add", "--broker", kafka.bootstrap, "--topic", "cli_config"],
        ...["--channel", "SIMPLE:DOUBLE2", "--schema", "f144", "--output-topic", "cli_data", "--protocol", "ca"],
      ],
      "piped",
      "forwarder-config",
    ).output();
    assert.equal(add.code, 0, new TextDecoder().decode(add.stderr));
    await eventually("f144 of the PV added by forwarder-config", async () => {
      await ioc.set("DOUBLE2", 1.125);
      return await seen();
    }, (all) => all.some((d) => d.id === "f144" && d.key === "SIMPLE:DOUBLE2" && d.message.value.value === 1.125));
    const listArgs = ["list", "--broker", kafka.bootstrap, "--storage-topic", "cli_storage"];
    const listed = await nxflow([...listArgs, "--json"], "piped", "forwarder-config").output();
    assert.equal(listed.code, 0, new TextDecoder().decode(listed.stderr));
    const streams = JSON.parse(new TextDecoder().decode(listed.stdout));
    assert.deepEqual(streams.map((s: { channel: string; protocol: string }) => `${s.channel} ${s.protocol}`).sort(), [
      "CLI:SCALAR_d PVA",
      "SIMPLE:DOUBLE CA",
      "SIMPLE:DOUBLE2 CA",
    ]);
    const text = new TextDecoder().decode((await nxflow(listArgs, "piped", "forwarder-config").output()).stdout);
    assert.match(text, /^CHANNEL\s+PROTOCOL\s+SCHEMA\s+TOPIC\s+PERIODIC\n/);
    assert.match(text, /SIMPLE:DOUBLE2\s+CA\s+f144\s+cli_data\s+no/);
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);

    await Deno.writeTextFile(
      file,
      JSON.stringify([
        { channel: "SIMPLE:LONG", schema: "f144", topic: "start_data", protocol: "CA" },
        { channel: "CLI:SCALAR_i", schema: "f144", topic: "start_data", protocol: "PVA" },
      ]),
    );
    await Deno.writeTextFile(
      settings,
      JSON.stringify({
        kafka: { brokers: [kafka.bootstrap] },
        roles: {
          forwarder: {
            enabled: true,
            configTopic: "start_config",
            statusTopic: "start_status",
            storageTopic: "",
            streams: file,
            groups: 1,
            caServerPort: ioc.port,
            pvaAddrList: pva.addrList,
          },
        },
      }),
    );
    child = nxflow(["--config", settings, "--no-admin"], "null", "start");
    await eventually(
      "f144 via start",
      async () => {
        await ioc.set("LONG", 77);
        return await seen();
      },
      (all) => all.some((d) => d.id === "f144" && d.key === "SIMPLE:LONG" && d.message.value.value === 77),
      60_000,
    );
    const server2 = pva;
    await eventually("PVA f144 via start", async () => {
      await server2.post({ name: "SCALAR_i", value: 31 });
      return await seen();
    }, (all) => all.some((d) => d.id === "f144" && d.key === "CLI:SCALAR_i" && d.message.value.value === 31));
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    child = null;
  } finally {
    if (child) {
      child.kill("SIGKILL");
      await child.status;
    }
    await probes.stop();
    await pva?.stop();
    await ioc.stop();
    await kafka.stop();
    await Deno.remove(file);
    await Deno.remove(settings);
  }
});
