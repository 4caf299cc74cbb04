/**
 * The forwarder's TypeScript CA client (`actors/forwarder/ca/`) against a real IOC (pythonSoftIOC, EPICS base's RSRV):
 * values with EPICS timestamps, alarms, arrays, strings, enums and the control information, an IOC restart, a late
 * PV; and against a server that breaks the protocol: counted, and the circuit is made again.
 */
import assert from "node:assert/strict";
import type { CaUpdate } from "../../protocols/forwarder.ts";
import { CaClient } from "../../actors/forwarder/ca/client.ts";
import { CMD, encodeMessage, parseDatagram } from "../../actors/common/ca/messages.ts";
import { freePort, startIoc } from "../_harness/ioc.ts";
import { eventually } from "../_harness/wait.ts";

Deno.test("CA client monitors values, alarms, arrays and enums, reconnects after an IOC restart and finds late PVs", async () => {
  let ioc = await startIoc();
  const latePort = freePort();
  const ca = new CaClient({ addrList: `127.0.0.1:${ioc.port} 127.0.0.1:${latePort}` });
  let late: Awaited<ReturnType<typeof startIoc>> | null = null;
  const updates = new Map<string, CaUpdate[]>();
  const connections = new Map<string, boolean[]>();
  const errors: string[] = [];
  const watch = (pv: string) =>
    ca.monitor(pv, {
      onConnection: (up) => connections.set(pv, [...(connections.get(pv) ?? []), up]),
      onUpdate: (u) => updates.set(pv, [...(updates.get(pv) ?? []), u]),
      onError: (message) => errors.push(message),
    });
  const last = (pv: string) => updates.get(pv)?.at(-1);
  try {
    const monitors = ["DOUBLE", "DOUBLE3", "STR", "DOUBLEARRAY", "LONG", "ENUM", "CHARARRAY"].map((r) =>
      watch(`SIMPLE:${r}`)
    );
    watch("LATE:DOUBLE");
    await eventually("first updates", () => updates.size, (n) => n === 7, 20_000);
    assert.equal(last("SIMPLE:STR")!.value, "hello");
    assert.equal(last("SIMPLE:STR")!.type, "string");
    const before = BigInt(Date.now()) * 1_000_000n;
    await ioc.set("DOUBLE", 3.5);
    const u = await eventually("3.5", () => last("SIMPLE:DOUBLE"), (u) => u?.value === 3.5, 10_000);
    assert.deepEqual([u!.type, u!.array], ["double", false]);
    assert.ok(u!.timestampNs >= before - 1_000_000_000n && u!.timestampNs <= before + 10_000_000_000n);
    await ioc.set("DOUBLE3", 16);
    const a = await eventually("alarm", () => last("SIMPLE:DOUBLE3"), (u) => u?.value === 16, 10_000);
    assert.deepEqual([a!.severity, a!.status], [1, 4]); // MINOR, HIGH
    await ioc.set("DOUBLEARRAY", [1, 2, 3]);
    const arr = await eventually(
      "array",
      () => last("SIMPLE:DOUBLEARRAY"),
      (u) => u?.value instanceof Float64Array && u.value[2] === 3,
      10_000,
    );
    assert.equal(arr!.array, true);
    assert.deepEqual([...(arr!.value as Float64Array)], [1, 2, 3]);
    assert.equal(last("SIMPLE:LONG")!.type, "long");
    await ioc.set("ENUM", 2);
    const e = await eventually("enum", () => last("SIMPLE:ENUM"), (u) => u?.value === 2, 10_000);
    assert.equal(e!.type, "enum");
    assert.equal(last("SIMPLE:CHARARRAY")!.value instanceof Uint8Array, true);
    // the control information, read once per connection
    const info = (pv: string) => monitors.find((m) => m.pv === `SIMPLE:${pv}`)!.info;
    await eventually("control info", () => info("DOUBLE3"), (i) => i !== null, 10_000);
    assert.deepEqual(info("ENUM")!.enumStrings, ["INIT", "START", "STOP"]);
    assert.deepEqual([info("DOUBLE")!.precision, info("DOUBLE")!.count], [3, 1]);
    assert.deepEqual([info("DOUBLE3")!.limits.upperAlarm, info("DOUBLE3")!.limits.upperWarning], [20, 15]);
    assert.equal(info("DOUBLEARRAY")!.count, 8);

    await ioc.stop();
    await eventually("disconnected", () => connections.get("SIMPLE:DOUBLE")?.at(-1), (c) => c === false, 30_000);
    ioc = await startIoc({ port: ioc.port });
    await eventually("reconnected", () => connections.get("SIMPLE:DOUBLE")?.at(-1), (c) => c === true, 60_000);
    await ioc.set("DOUBLE", 7);
    await eventually("7 after restart", () => last("SIMPLE:DOUBLE")?.value, (v) => v === 7, 10_000);

    late = await startIoc({ prefix: "LATE:", minimal: true, port: latePort });
    await ioc.set("DOUBLE", 8);
    await late.set("DOUBLE", 1.25);
    await eventually("late PV", () => last("LATE:DOUBLE")?.value, (v) => v === 1.25, 60_000);
    assert.deepEqual(errors, []);
    assert.deepEqual(ca.stats(), { protocolErrors: 0, badDatagrams: 0 });
  } finally {
    ca.close();
    await ioc.stop();
    await late?.stop();
  }
});

/** A CA server that answers every search and creates any channel, then answers its EVENT_ADD with `reply`. */
function brokenServer(reply: (subscription: number) => Uint8Array) {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tcpPort = (tcp.addr as Deno.NetAddr).port;
  const udp = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  let circuits = 0;
  const conns = new Set<Deno.Conn>();
  const tasks: Promise<unknown>[] = [];
  tasks.push((async () => {
    try {
      for (;;) {
        const [d, from] = await udp.receive();
        const answers = parseDatagram(d).filter((m) => m.command === CMD.SEARCH).map((m) =>
          encodeMessage(CMD.SEARCH, tcpPort, 0, 0xffffffff, m.p2, new Uint8Array([0, 13]))
        );
        for (const a of answers) await udp.send(a, from);
      }
    } catch { /* closed */ }
  })());
  tasks.push((async () => {
    for await (const conn of tcp) {
      circuits++;
      conns.add(conn);
      tasks.push(
        (async () => {
          await conn.write(encodeMessage(CMD.VERSION, 0, 13, 0, 0));
          const buf = new Uint8Array(4096);
          let got = new Uint8Array(0);
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            got = new Uint8Array([...got, ...buf.subarray(0, n)]);
            const messages = [];
            let at = 0;
            while (at + 16 <= got.length) {
              const size = (got[at + 2] << 8) | got[at + 3];
              if (at + 16 + size > got.length) break;
              messages.push(parseDatagram(got.subarray(at, at + 16 + size))[0]);
              at += 16 + size;
            }
            got = got.slice(at);
            for (const m of messages) {
              if (m.command === CMD.CREATE_CHAN) await conn.write(encodeMessage(CMD.CREATE_CHAN, 6, 1, m.p1, 5));
              if (m.command === CMD.EVENT_ADD) await conn.write(reply(m.p2));
            }
          }
        })().catch(() => {}).finally(() => {
          if (conns.delete(conn)) conn.close();
        }),
      );
    }
  })());
  return {
    addrList: `127.0.0.1:${(udp.addr as Deno.NetAddr).port}`,
    circuits: () => circuits,
    async close() {
      tcp.close();
      udp.close();
      for (const conn of conns) conn.close();
      conns.clear();
      await Promise.allSettled(tasks);
    },
  };
}

for (
  const [what, reply] of [
    [
      "a misaligned frame",
      (sub: number) => new Uint8Array([0, 1, 0, 3, 0, 20, 0, 1, 0, 0, 0, 1, ...be32(sub), 1, 2, 3]),
    ],
    ["the wrong DBR type", (sub: number) => encodeMessage(CMD.EVENT_ADD, 19, 1, 1, sub, new Uint8Array(16))],
    ["a truncated update", (sub: number) => encodeMessage(CMD.EVENT_ADD, 20, 1, 1, sub, new Uint8Array(8))],
    ["an unknown command", () => encodeMessage(99, 0, 0, 0, 0)],
  ] as [string, (sub: number) => Uint8Array][]
) {
  Deno.test(`CA client: a server sending ${what} is counted and the circuit is made again`, async () => {
    const server = brokenServer(reply);
    const client = new CaClient({ addrList: server.addrList, search: { firstMs: 50, maxMs: 200 } });
    const connections: boolean[] = [];
    try {
      client.monitor("BROKEN", { onConnection: (c) => connections.push(c), onUpdate: () => {}, onError: () => {} });
      await eventually("two protocol errors", () => client.stats(), (s) => s.protocolErrors >= 2, 20_000);
      assert.ok(server.circuits() >= 2, "the client connected again");
      assert.deepEqual(connections.slice(0, 3), [true, false, true]);
    } finally {
      client.close();
      await server.close();
    }
  });
}

function be32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

Deno.test("CA client: a server that stops answering (no reply to ECHO) is dropped and the PV connects again", async () => {
  const server = brokenServer(() => new Uint8Array(0));
  const client = new CaClient({
    addrList: server.addrList,
    search: { firstMs: 50, maxMs: 200 },
    circuit: { echoMs: 300, echoTimeoutMs: 300 },
  });
  const connections: boolean[] = [];
  try {
    client.monitor("SILENT", { onConnection: (c) => connections.push(c), onUpdate: () => {}, onError: () => {} });
    await eventually("dropped and connected again", () => connections, (c) => c.length >= 3, 20_000);
    assert.deepEqual(connections.slice(0, 3), [true, false, true]);
    assert.ok(server.circuits() >= 2, "a new circuit");
    assert.equal(client.stats().protocolErrors, 0, "silence is no protocol error");
  } finally {
    client.close();
    await server.close();
  }
});
