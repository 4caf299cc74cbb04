/**
 * Fuzzing the sim's CA server: 300 circuits send random bytes, misaligned and oversized sizes, truncated messages,
 * unknown commands, bad channel and monitor ids, bad DBR types, short EVENT_ADDs and unterminated names, and random
 * datagrams hit the UDP search port — while another client monitors a PV that changes every pulse. The server counts
 * and drops each bad client, never restarts, and the watching client sees every pulse, in order, throughout.
 */
import assert from "node:assert/strict";
import { dbrType } from "../../actors/common/ca/dbr.ts";
import { CMD, encodeMessage, stringPayload } from "../../actors/common/ca/messages.ts";
import { seededRandom } from "../../actors/common/seeded_random.ts";
import { eventually } from "../_harness/wait.ts";
import { RawCaClient } from "./raw_client.ts";
import { startSim } from "./sim_harness.ts";

const random = seededRandom(14);
const int = (n: number) => Math.floor(random() * n);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));

/** One hostile frame sequence, by kind. */
function attack(kind: number, sid: number): Uint8Array {
  switch (kind) {
    case 0:
      return bytes(1 + int(200));
    case 1: { // misaligned payload size
      const m = encodeMessage(CMD.READ_NOTIFY, 20, 1, sid, 1, new Uint8Array(8));
      new DataView(m.buffer).setUint16(2, 5);
      return m;
    }
    case 2: // truncated message, then the connection closes
      return encodeMessage(CMD.CREATE_CHAN, 0, 0, 1, 13, stringPayload("SIM:TEMP")).subarray(0, 5 + int(15));
    case 3:
      return encodeMessage(28 + int(1000), 0, 0, 0, 0);
    case 4: // unknown channel id
      return encodeMessage(CMD.READ_NOTIFY, 20, 1, 0xdead, 7);
    case 5: // unknown monitor id
      return encodeMessage(CMD.EVENT_CANCEL, 20, 1, sid, 0xbeef);
    case 6: // bad DBR type
      return encodeMessage(CMD.WRITE_NOTIFY, 99, 1, sid, 3, new Uint8Array(8));
    case 7: // EVENT_ADD without its 16 bytes
      return encodeMessage(CMD.EVENT_ADD, 20, 1, sid, 9, new Uint8Array(8));
    case 8: { // extended header announcing a huge payload
      const m = encodeMessage(CMD.WRITE, 6, 0x10000, sid, 1, new Uint8Array(8));
      new DataView(m.buffer).setUint32(16, 0x7ffffff8);
      return m.subarray(0, 32);
    }
    case 9: // write whose payload is shorter than its count
      return encodeMessage(CMD.WRITE_NOTIFY, 6, 5000, sid, 4, new Uint8Array(16));
    default: // a name without NUL, then random bytes
      return new Uint8Array([...encodeMessage(CMD.CREATE_CHAN, 0, 0, 1, 13, bytes(64).fill(65)), ...bytes(40)]);
  }
}

Deno.test("the CA server counts and drops malformed clients and keeps serving the others", async () => {
  const sim = await startSim();
  const watcher = await RawCaClient.connect(sim.port);
  try {
    const pulses = await watcher.create("SIM:PULSE:COUNT");
    const seen: number[] = [];
    await watcher.monitor(pulses.sid, dbrType("long", "time"), (d) => seen.push(d.values[0] as number));
    const udp = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    for (let round = 0; round < 300; round++) {
      const client = await RawCaClient.connect(sim.port);
      const { sid } = round % 2 ? await client.create("SIM:TEMP:SP") : { sid: 1 };
      await client.send(attack(round % 11, sid)).catch(() => {});
      if (round % 11 === 2) client.close();
      await Promise.race([client.closed, new Promise((r) => setTimeout(r, 300))]);
      client.close();
      await udp.send(bytes(1 + int(100)), { transport: "udp", hostname: "127.0.0.1", port: sim.port });
    }
    udp.close();
    await new Promise((r) => setTimeout(r, 500));
    const temp = await watcher.create("SIM:TEMP");
    const read = await watcher.read(temp.sid, dbrType("double", "ctrl"));
    assert.equal(read.units, "K");
    assert.ok(seen.length > 20, `the watcher saw ${seen.length} pulses`);
    seen.forEach((v, i) => i === 0 || assert.equal(v, seen[i - 1] + 1, `gap after ${seen[i - 1]}`));
    const stats = await sim.stats<{ counters: Record<string, number> }>("sim/ca");
    const c = stats.counters;
    assert.ok(c["tcp.malformed"] >= 100, JSON.stringify(c));
    assert.ok(c["tcp.unknownCommands"] >= 20 && c["tcp.badIds"] >= 40, JSON.stringify(c));
    assert.ok(c["tcp.clientsDropped"] >= 200 && c["udp.malformed"] >= 100, JSON.stringify(c));
    assert.ok(!sim.process.lines.some((l) => /root\/sim\/ca.*(crash|restart|fail)/i.test(l)), "no restart");
  } finally {
    watcher.close();
    await sim.stop();
  }
});

Deno.test("a client that does not read its replies is dropped before they pile up", async () => {
  const sim = await startSim(["--load-arrays=1", "--load-array-len=100000", "--load-hz=1"]);
  const greedy = await RawCaClient.connect(sim.port);
  try {
    const { sid } = await greedy.create("SIM:LOAD:A0");
    // 200 reads of 800 kB each, never read back: 160 MB of replies
    const reads = Array.from({ length: 200 }, (_, i) => encodeMessage(CMD.READ_NOTIFY, 6, 0, sid, 1000 + i));
    for (const r of reads) await greedy.send(r).catch(() => {});
    const stats = await eventually(
      "the greedy client dropped",
      () => sim.stats<{ counters: Record<string, number>; lastDrop: string }>("sim/ca"),
      (s) => s.counters["tcp.slowClients"] === 1,
      30_000,
    );
    assert.match(stats.lastDrop, /bytes unread/);
    const other = await RawCaClient.connect(sim.port);
    const temp = await other.create("SIM:TEMP");
    assert.equal((await other.read(temp.sid, dbrType("double", "time"))).values.length, 1);
    other.close();
  } finally {
    greedy.close();
    await sim.stop();
  }
});
