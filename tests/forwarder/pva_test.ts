/**
 * The forwarder over pvAccess, end to end: a real p4p (pvxs) server on 127.0.0.1, a real Kafka, the forwarder's
 * actor tree with a CA IOC beside it, output decoded with nxflow's codecs and with ESS's Python package
 * (`streaming_data_types`, via tests/schemas/sdt_bridge.py); periodic re-sends and the timestamp filter included.
 * One setup, steps in order.
 */
import assert from "node:assert/strict";
import { fc00, parseJsonForm } from "../../schemas/mod.ts";
import type { MonitorProtocol, SerialiserProtocol, Stream } from "../../protocols/forwarder.ts";
import { ensureVenv, SCHEMA_TOOLS } from "../../scripts/python_venv.ts";
import { decode, type Decoded, type Setup, startSetup, TOPICS } from "./harness.ts";
import { startP4p, type TestP4p } from "../_harness/p4p.ts";
import { eventually } from "../_harness/wait.ts";

const P = "PVA:";
const stream = (pv: string, schema: Stream["schema"], protocol: Stream["protocol"] = "PVA"): Stream => ({
  channel: pv.includes(":") ? pv : P + pv,
  schema,
  topic: TOPICS.data,
  protocol,
  periodic: 0,
});
/** pvData type code letter → f144 union member. */
const TYPES: Record<string, string> = {
  b: "Byte",
  B: "UByte",
  h: "Short",
  H: "UShort",
  i: "Int",
  I: "UInt",
  l: "Long",
  L: "ULong",
  f: "Float",
  d: "Double",
};
const BRIDGE = new URL("../schemas/sdt_bridge.py", import.meta.url).pathname;

/** Deserialises records with ESS's Python package; returns its view of each. */
async function python(records: Decoded[], bytes: Map<Decoded, Uint8Array>): Promise<Record<string, unknown>[]> {
  const py = await ensureVenv(SCHEMA_TOOLS);
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const messages = records.map((d) => ({ schema: d.id, hex: hex(bytes.get(d)!) }));
  const child = new Deno.Command(py, { args: [BRIDGE], stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify({ op: "deserialise", messages })));
  await w.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const results = (parseJsonForm(new TextDecoder().decode(out.stdout)) as { results: Record<string, unknown>[] })
    .results;
  for (const r of results) assert.ok(!("error" in r), `Python could not read a record: ${r.error}`);
  return results.map((r) => r.form as Record<string, unknown>);
}

Deno.test("forwarder over pvAccess: p4p NTScalar/NTScalarArray/NTEnum/NTTable to ESS messages, alarms, restarts", async (t) => {
  let server: TestP4p = await startP4p({ prefix: P });
  let setup: Setup | null = null;
  try {
    setup = await startSetup({
      pvaAddrList: server.addrList,
      streams: [
        ...Object.keys(TYPES).map((c) => ({ ...stream(`SCALAR_${c}`, "f144"), periodic: c === "I" ? 1 : 0 })),
        stream("SCALAR_d", "f142"),
        stream("ARRAY", "f144"),
        stream("ENUM", "f144"),
        stream("TABLE", "nttable_se00"),
        stream("STR", "f144"),
        stream("SIMPLE:DOUBLE", "f144", "CA"),
      ],
      periodMs: 1000,
    });
    const s = setup;
    const seconds = Math.floor(Date.now() / 1000);
    let nanos = 1000;
    const stamp = () => ({ seconds, nanoseconds: nanos += 1000 });
    const nsOf = (st: { seconds: number; nanoseconds: number }) =>
      BigInt(st.seconds) * 1_000_000_000n + BigInt(st.nanoseconds);
    const f144Of = (pv: string, check: (d: Decoded) => boolean) => (d: Decoded) =>
      d.id === "f144" && d.key === P + pv && check(d);

    await t.step("ep01 CONNECTED for the PVA PVs", async () => {
      for (const pv of ["SCALAR_d", "ARRAY", "ENUM", "TABLE"]) {
        await s.waitFor(`ep01 ${pv}`, (d) => d.id === "ep01" && d.key === P + pv && d.message.status === "CONNECTED");
      }
    });

    await t.step(
      "an NTScalar of each numeric type arrives as f144 of that type, EPICS time as Kafka time",
      async () => {
        for (const [code, member] of Object.entries(TYPES)) {
          const st = stamp();
          await server.post({ name: `SCALAR_${code}`, value: code.charCodeAt(0) - 40, ...st });
          const d = await s.waitFor(
            `f144 ${member}`,
            f144Of(`SCALAR_${code}`, (d) => d.message.timestamp === nsOf(st)),
          );
          assert.equal(d.message.value_type, member);
          assert.equal(Number(d.message.value.value), code.charCodeAt(0) - 40);
          assert.equal(d.timestampMs, Number(nsOf(st) / 1_000_000n));
          assert.equal(d.topic, TOPICS.data);
        }
        const f142 = await s.waitFor("f142", (d) => d.id === "f142" && d.key === P + "SCALAR_d");
        assert.equal(f142.message.value_type, "Double");
      },
    );

    await t.step("a 2,048-double NTScalarArray arrives as f144 ArrayDouble", async () => {
      const st = stamp();
      await server.post({ name: "ARRAY", value: Array.from({ length: 2048 }, (_, i) => i * 0.5), ...st });
      const d = await s.waitFor("f144 array", f144Of("ARRAY", (d) => d.message.timestamp === nsOf(st)));
      assert.equal(d.message.value_type, "ArrayDouble");
      assert.equal(d.message.value.value.length, 2048);
      assert.equal(d.message.value.value[2047], 2047 * 0.5);
    });

    await t.step("NTEnum arrives as its index, NTTable as se00 with its timestamp column", async () => {
      const st = stamp();
      await server.post({ name: "ENUM", value: 2, ...st });
      const e = await s.waitFor("f144 enum", f144Of("ENUM", (d) => d.message.timestamp === nsOf(st)));
      assert.equal(e.message.value_type, "Int");
      assert.equal(e.message.value.value, 2);
      const tt = stamp();
      await server.post({ name: "TABLE", value: { value: [1.5, 2.5, 4.5], timestamp: [10, 30, 50] }, ...tt });
      const d = await s.waitFor("se00", (d) => d.id === "se00" && d.key === P + "TABLE");
      assert.deepEqual([...d.message.values.value], [1.5, 2.5, 4.5]);
      assert.deepEqual([...d.message.timestamps], [10n, 30n, 50n]);
      assert.equal(d.message.time_delta, 20);
      assert.equal(d.timestampMs, Number(nsOf(tt) / 1_000_000n));
    });

    await t.step("an alarm set on the server gives al00 with the PVA alarm message", async () => {
      await server.post({ name: "SCALAR_d", value: 99, severity: 2, status: 1, message: "too hot", ...stamp() });
      const d = await s.waitFor(
        "al00 MAJOR",
        (d) => d.id === "al00" && d.key === P + "SCALAR_d" && d.message.severity === "MAJOR",
      );
      assert.equal(d.message.message, "too hot");
    });

    await t.step(
      "a string NTScalar is refused for f144 and counted; the CA stream in the same forwarder works",
      async () => {
        await server.post({ name: "STR", value: "text", ...stamp() });
        await s.ioc.set("DOUBLE", 7.25);
        await s.waitFor(
          "CA f144",
          (d) => d.id === "f144" && d.key === "SIMPLE:DOUBLE" && d.message.value.value === 7.25,
        );
        const stats = await eventually(
          "string refused",
          () => s.system.ref<SerialiserProtocol>("serialiser").request("stats", null),
          (st) => st.processingErrors >= 1,
        );
        assert.ok(stats.processingErrors >= 1);
        assert.ok(stats.droppedTimestamps >= 1, "p4p's initial values (EPICS time 0) fail the timestamp filter");
        assert.ok(!(await s.seen()).some((d) => d.id === "f144" && d.key === P + "STR"));
      },
    );

    await t.step("a periodic PVA stream is re-sent with the wall-clock time as Kafka timestamp", async () => {
      const d = await s.waitFor(
        "periodic re-send",
        (d) => f144Of("SCALAR_I", (d) => d.timestampMs - Number(d.message.timestamp / 1_000_000n) > 500)(d),
      );
      assert.equal(d.message.value_type, "UInt");
    });

    await t.step("ESS's Python package reads every PVA record as nxflow does", async () => {
      const raw = await s.probe.request("seen", null);
      const all = raw.map(decode);
      const bytes = new Map(all.map((d, i) => [d, raw[i].value]));
      const pva = all.filter((d) => d.key.startsWith(P) && ["f144", "al00", "se00", "ep01"].includes(d.id));
      const forms = await python(pva, bytes);
      pva.forEach((d, i) => {
        const f = forms[i];
        if (d.id === "f144") {
          assert.equal(BigInt(f.timestamp as bigint), d.message.timestamp);
          const v = (f.value as { value: unknown }).value;
          if (Array.isArray(v)) assert.deepEqual(v.map(Number), [...d.message.value.value].map(Number));
          else assert.equal(Number(v), Number(d.message.value.value));
        }
        if (d.id === "al00") assert.equal(f.message, d.message.message);
        if (d.id === "se00") assert.deepEqual((f.values as { value: number[] }).value, [1.5, 2.5, 4.5]);
        if (d.id === "ep01") assert.equal(f.source_name, d.key);
      });
    });

    await t.step("an fc00 without a protocol field forwards a p4p PV that appears late", async () => {
      const value = fc00.encode({
        config_change: "ADD",
        streams: [{ channel: P + "LATE", schema: "f144", topic: TOPICS.data }],
      });
      await s.probe.request("produce", { topic: TOPICS.config, value });
      await new Promise((r) => setTimeout(r, 1500));
      await server.command({ op: "add", name: "LATE", type: "d" });
      await s.waitFor("ep01 LATE", (d) => d.id === "ep01" && d.key === P + "LATE" && d.message.status === "CONNECTED");
      const st = stamp();
      await server.post({ name: "LATE", value: 12.5, ...st });
      await s.waitFor("f144 LATE", f144Of("LATE", (d) => d.message.value.value === 12.5));
    });

    await t.step("a server restart gives DISCONNECTED then CONNECTED in ep01, and updates flow again", async () => {
      const before = (await s.seen()).length;
      await server.stop();
      await s.waitFor(
        "ep01 DISCONNECTED",
        (d) => d.id === "ep01" && d.key === P + "SCALAR_d" && d.message.status === "DISCONNECTED",
      );
      server = await startP4p({ prefix: P, tcpPort: server.tcpPort, udpPort: server.udpPort });
      const all = await eventually(
        "reconnected",
        s.seen,
        (list) =>
          list.slice(before).some((d) =>
            d.id === "ep01" && d.key === P + "SCALAR_d" && d.message.status === "CONNECTED"
          ),
      );
      const states = all.slice(before).filter((d) => d.id === "ep01" && d.key === P + "SCALAR_d").map((d) =>
        d.message.status
      );
      assert.deepEqual(states.slice(0, 2), ["DISCONNECTED", "CONNECTED"]);
      await server.post({ name: "SCALAR_d", value: 1234.5, seconds: seconds + 1, nanoseconds: 0 });
      await s.waitFor("f144 after restart", f144Of("SCALAR_d", (d) => d.message.value.value === 1234.5));
      const monitors = await Promise.all(
        [0, 1].map((i) => s.system.ref<MonitorProtocol>(`monitor_${i}`).request("stats", null)),
      );
      assert.equal(monitors.reduce((n, m) => n + m.pvaProtocolErrors, 0), 0);
    });
  } finally {
    await setup?.stop();
    await server.stop();
  }
});
