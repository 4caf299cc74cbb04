/**
 * The pvAccess client on its own (`actors/forwarder/pva/client.ts`): against an IOC's QSRV (pythonSoftIOC's pvxs
 * server: records with valueAlarm, display and control), against a real p4p server that posts as fast as
 * it can (the pipelined window only moves on with the client's acks; held acks stop it), and against servers that
 * break the protocol (raw sockets sending a bad frame, an unknown type code or a truncated update after a correct
 * handshake): those are counted and the channel reconnects, and nothing throws.
 */
import assert from "node:assert/strict";
import { PvaClient } from "../../actors/forwarder/pva/client.ts";
import { startIoc } from "../_harness/ioc.ts";
import { startP4p } from "../_harness/p4p.ts";
import type { PvaUpdate } from "../../protocols/forwarder.ts";
import { eventually } from "../_harness/wait.ts";

Deno.test("pva client: a storming p4p server keeps sending past the monitor window because the client acks", async () => {
  const server = await startP4p({ prefix: "STORM:", scalars: 4 });
  const client = new PvaClient({ addrList: server.addrList, connection: { queueSize: 4 } });
  const counts = new Map<string, number>();
  try {
    for (let i = 0; i < 4; i++) {
      const pv = `STORM:BENCH${i}`;
      client.monitor(pv, {
        onConnection: () => {},
        onUpdate: () => counts.set(pv, (counts.get(pv) ?? 0) + 1),
        onError: (m) => assert.fail(m),
      });
    }
    await eventually("4 connected", () => Promise.resolve(counts.size), (n) => n === 4);
    const reply = await server.command({ op: "storm", seconds: 1, scalars: 4 });
    const posted = Number(reply.split(" ")[1]);
    await new Promise((r) => setTimeout(r, 500));
    const got = [...counts.values()].reduce((a, b) => a + b, 0);
    assert.ok(got > 4 * 4 * 4, `only ${got} updates of ${posted} posts: the window did not move`);
    assert.ok(got <= posted + 4, `${got} updates for ${posted} posts`);
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("pva client: while paused the server stops at the monitor window; resumed, updates flow again", async () => {
  const server = await startP4p({ prefix: "HOLD:", scalars: 1 });
  const client = new PvaClient({ addrList: server.addrList, connection: { queueSize: 4 } });
  let updates = 0;
  try {
    client.monitor("HOLD:BENCH0", {
      onConnection: () => {},
      onUpdate: () => updates++,
      onError: (m) => assert.fail(m),
    });
    await eventually("connected", () => Promise.resolve(updates), (n) => n >= 1);
    client.setPaused(true);
    const before = updates;
    const posted = Number((await server.command({ op: "storm", seconds: 0.5, scalars: 1 })).split(" ")[1]);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(posted > 100, `p4p posted only ${posted}`);
    assert.ok(updates - before <= 4, `${updates - before} updates arrived while paused (window 4)`);
    client.setPaused(false);
    const held = updates;
    await server.command({ op: "storm", seconds: 0.5, scalars: 1 });
    await eventually("updates again", () => Promise.resolve(updates), (n) => n > held + 8);
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("pva client: an IOC's own pvAccess server (QSRV) gives its records' values, alarms and enum indices", async () => {
  const ioc = await startIoc();
  const client = new PvaClient({ addrList: ioc.pvaAddrList });
  const last = new Map<string, PvaUpdate>();
  try {
    for (const pv of ["DOUBLE3", "ENUM", "DOUBLEARRAY"]) {
      client.monitor(`SIMPLE:${pv}`, {
        onConnection: () => {},
        onUpdate: (u) => last.set(pv, u),
        onError: assert.fail,
      });
    }
    await eventually("3 connected", () => Promise.resolve(last.size), (n) => n === 3);
    await ioc.set("DOUBLE3", 16);
    await ioc.set("ENUM", 1);
    await ioc.set("DOUBLEARRAY", [1.5, 2.5, 3.5]);
    await eventually(
      "updates",
      () => Promise.resolve(last),
      (m) => m.get("DOUBLE3")?.value === 16 && m.get("ENUM")?.value === 1,
    );
    const d = last.get("DOUBLE3")!;
    assert.deepEqual([d.type, d.severity, d.message], ["double", 1, "HIGH"]);
    assert.ok(Math.abs(Number(d.timestampNs / 1_000_000n) - Date.now()) < 60_000, "EPICS time since 1970, in ns");
    await eventually(
      "array",
      () => Promise.resolve(last.get("DOUBLEARRAY")!),
      (u) => (u.value as Float64Array).length === 3,
    );
    assert.deepEqual([...(last.get("DOUBLEARRAY")!.value as Float64Array)], [1.5, 2.5, 3.5]);
    assert.equal(last.get("ENUM")!.type, "int");
  } finally {
    client.close();
    await ioc.stop();
  }
});

/** A server that answers every search for any name and then speaks a scripted TCP conversation. */
function brokenServer(afterHandshake: (init: Uint8Array) => Uint8Array) {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tcpPort = (tcp.addr as Deno.NetAddr).port;
  const udp = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  let connections = 0;
  (async () => {
    try {
      for (;;) {
        const [d, from] = await udp.receive();
        if (d.length < 8 || d[3] !== 3) continue;
        const v = new DataView(d.buffer, d.byteOffset);
        const seq = v.getUint32(8, true);
        const replyPort = v.getUint16(32, true);
        const nameAt = 34 + 5 + 2;
        const id = v.getUint32(nameAt, true);
        const body = [...new Array(12).fill(1), ...le32(seq), ...new Array(16).fill(0), tcpPort & 255, tcpPort >> 8];
        body.push(3, ...new TextEncoder().encode("tcp"), 1, 1, 0, ...le32(id));
        const msg = new Uint8Array([0xca, 2, 0x40, 4, ...le32(body.length), ...body]);
        await udp.send(msg, { transport: "udp", hostname: (from as Deno.NetAddr).hostname, port: replyPort });
      }
    } catch { /* closed */ }
  })();
  (async () => {
    for await (const conn of tcp) {
      connections++;
      (async () => {
        const hello = [0xca, 2, 0x41, 2, 0, 0, 0, 0];
        const validation = [0xca, 2, 0x40, 1, 8, 0, 0, 0, 0, 0, 1, 0, 0xff, 0x7f, 1, 0];
        await conn.write(new Uint8Array([...hello, ...validation]));
        const buf = new Uint8Array(4096);
        await conn.read(buf); // the client's validation
        await conn.write(new Uint8Array([0xca, 2, 0x40, 9, 1, 0, 0, 0, 0xff])); // validated
        const n = await conn.read(buf); // CREATE_CHANNEL
        if (n && buf[3] === 7) {
          const cid = [...buf.subarray(10, 14)];
          await conn.write(new Uint8Array([0xca, 2, 0x40, 7, 9, 0, 0, 0, ...cid, 5, 0, 0, 0, 0xff]));
          await conn.read(buf); // MONITOR INIT
          await conn.write(afterHandshake(buf));
        }
        await conn.read(buf).catch(() => null);
        conn.close();
      })().catch(() => {});
    }
  })();
  return {
    addrList: `127.0.0.1:${(udp.addr as Deno.NetAddr).port}`,
    connections: () => connections,
    close() {
      tcp.close();
      udp.close();
    },
  };
}

function le32(n: number): number[] {
  return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
}

/** A MONITOR message from the server. */
function monitorMsg(payload: number[]): Uint8Array {
  return new Uint8Array([0xca, 2, 0x40, 0x0d, ...le32(payload.length), ...payload]);
}

/** The MONITOR INIT reply's ioid, taken from the client's INIT (sid u32 at 8, ioid u32 at 12). */
function ioidOf(init: Uint8Array): number[] {
  return [...init.subarray(12, 16)];
}

for (
  const [what, reply] of [
    ["a bad magic byte", () => new Uint8Array([0xcb, 2, 0x40, 0x0d, 0, 0, 0, 0])],
    ["an unknown type code", (init: Uint8Array) => monitorMsg([...ioidOf(init), 0x08, 0xff, 0xe5])],
    [
      "a truncated update",
      (init: Uint8Array) =>
        new Uint8Array([
          ...monitorMsg([...ioidOf(init), 0x08, 0xff, 0x80, 0, 1, 5, ...new TextEncoder().encode("value"), 0x43]),
          ...monitorMsg([...ioidOf(init), 0, 1, 2, 0]),
        ]),
    ],
  ] as [string, (init: Uint8Array) => Uint8Array][]
) {
  Deno.test(`pva client: a server sending ${what} is counted and the channel reconnects`, async () => {
    const server = brokenServer(reply);
    const client = new PvaClient({ addrList: server.addrList, search: { firstMs: 50, maxMs: 200 } });
    try {
      client.monitor("BROKEN", { onConnection: () => {}, onUpdate: () => {}, onError: () => {} });
      await eventually("two protocol errors", () => Promise.resolve(client.stats()), (s) => s.protocolErrors >= 2);
      assert.ok(server.connections() >= 2, "the client connected again");
    } finally {
      client.close();
      server.close();
    }
  });
}
