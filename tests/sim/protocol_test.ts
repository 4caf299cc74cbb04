/**
 * The sim's CA server at the byte level (epics-protocols.md §1.4–1.10), with raw datagrams and the raw test client:
 * UDP search replies (VERSION echoed, TCP port, address 0xFFFFFFFF, 8-byte minor version) and silence for unknown
 * names; TCP search with DO_REPLY; numbered beacons starting fast; ECHO; EVENTS_OFF/ON keeping only the newest
 * update; EVENT_CANCEL confirmation (cmd 1, p1 = SID); CLEAR_CHANNEL; CREATE_CH_FAIL for an unknown name.
 */
import assert from "node:assert/strict";
import { dbrType } from "../../actors/common/ca/dbr.ts";
import {
  CA_MINOR,
  type CaMessage,
  CMD,
  DO_REPLY,
  encodeMessage,
  parseDatagram,
  stringPayload,
} from "../../actors/common/ca/messages.ts";
import { RawCaClient } from "./raw_client.ts";
import { startSim } from "./sim_harness.ts";

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** Sends raw bytes on a fresh TCP connection and collects the messages that come back within `ms`. */
async function exchange(port: number, bytes: Uint8Array, ms = 500): Promise<CaMessage[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(bytes);
  const got: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  const deadline = Date.now() + ms;
  const timer = setTimeout(() => conn.close(), ms);
  try {
    while (Date.now() < deadline) {
      const n = await conn.read(buffer);
      if (n === null) break;
      got.push(buffer.slice(0, n));
    }
  } catch { /* closed by the timer */ }
  clearTimeout(timer);
  return parseDatagram(concat(...got), 1 << 20);
}

Deno.test("CA server: search, beacons, echo, events off/on, cancel and clear at the byte level", async () => {
  const beacons = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const beaconPort = (beacons.addr as Deno.NetAddr).port;
  const received: [number, Uint8Array][] = [];
  const listening = (async () => {
    for (let i = 0; i < 5; i++) received.push([performance.now(), (await beacons.receive())[0]]);
  })();
  const sim = await startSim([`--beacon-port=${beaconPort}`]);
  const client = await RawCaClient.connect(sim.port);
  try {
    // beacons: RSRV_IS_UP, minor 13, our TCP port, numbered from 0, intervals doubling from 20 ms
    await listening;
    const heads = received.map(([, b]) => parseDatagram(b)[0]);
    assert.deepEqual(heads.map((m) => [m.command, m.dataType, m.count]), heads.map(() => [13, CA_MINOR, sim.port]));
    assert.deepEqual(heads.map((m) => m.p1), [0, 1, 2, 3, 4]);
    // the first five come within ~0.6 s (20 ms doubling), not at the 15 s period
    const span = received[4][0] - received[0][0];
    assert.ok(span < 5000, `five beacons took ${span} ms`);

    // UDP search: a hosted name is answered, an unknown one is not
    const udp = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    const search = (name: string, id: number) => encodeMessage(CMD.SEARCH, 5, CA_MINOR, id, id, stringPayload(name));
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: sim.port };
    await udp.send(
      concat(encodeMessage(CMD.VERSION, 1, CA_MINOR, 77, 0), search("NOPE", 8), search("SIM:TEMP", 9)),
      to,
    );
    const reply = parseDatagram((await udp.receive())[0]);
    assert.deepEqual(reply.map((m) => [m.command, m.dataType, m.count, m.p1, m.p2]), [
      [CMD.VERSION, 1, CA_MINOR, 77, 0],
      [CMD.SEARCH, sim.port, 0, 0xffffffff, 9],
    ]);
    assert.deepEqual([...reply[1].payload], [0, CA_MINOR, 0, 0, 0, 0, 0, 0]);
    udp.close();

    // TCP: search with DO_REPLY, echo, unknown channel name
    const tcp = await exchange(
      sim.port,
      concat(
        encodeMessage(CMD.VERSION, 0, CA_MINOR, 0, 0),
        encodeMessage(CMD.SEARCH, DO_REPLY, CA_MINOR, 5, 5, stringPayload("NOPE")),
        encodeMessage(CMD.SEARCH, DO_REPLY, CA_MINOR, 6, 6, stringPayload("SIM:TEMP")),
        encodeMessage(CMD.ECHO, 0, 0, 0, 0),
        encodeMessage(CMD.CREATE_CHAN, 0, 0, 3, CA_MINOR, stringPayload("SIM:NOPE")),
      ),
    );
    assert.deepEqual(tcp.map((m) => [m.command, m.p1, m.p2]), [
      [CMD.VERSION, 0, 0],
      [CMD.NOT_FOUND, 5, 5],
      [CMD.SEARCH, 0xffffffff, 6],
      [CMD.ECHO, 0, 0],
      [CMD.CREATE_CH_FAIL, 3, 0],
    ]);

    // EVENTS_OFF: updates are held, only the newest per monitor comes on EVENTS_ON
    const pulses = await client.create("SIM:PULSE:COUNT");
    const seen: number[] = [];
    await client.monitor(pulses.sid, dbrType("long", "time"), (d) => seen.push(d.values[0] as number));
    await new Promise((r) => setTimeout(r, 300));
    await client.send(encodeMessage(CMD.EVENTS_OFF, 0, 0, 0, 0));
    await new Promise((r) => setTimeout(r, 100));
    const held = seen.length;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(seen.length, held, "nothing arrives while events are off");
    await client.send(encodeMessage(CMD.EVENTS_ON, 0, 0, 0, 0));
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(seen.length > held, "the held update comes on EVENTS_ON");
    assert.ok(seen[held] - seen[held - 1] >= 6, `jumped from ${seen[held - 1]} to ${seen[held]}`);

    // EVENT_CANCEL is confirmed with cmd 1, p1 = SID; CLEAR_CHANNEL is answered with the same ids
    const temp = await client.create("SIM:TEMP");
    const out = await exchange(
      sim.port,
      concat(
        encodeMessage(CMD.VERSION, 0, CA_MINOR, 0, 0),
        encodeMessage(CMD.CREATE_CHAN, 0, 0, 1, CA_MINOR, stringPayload("SIM:TEMP")),
        encodeMessage(CMD.EVENT_ADD, 20, 0, 1, 50, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)),
        encodeMessage(CMD.EVENT_CANCEL, 20, 0, 1, 50),
        encodeMessage(CMD.CLEAR_CHANNEL, 0, 0, 1, 1),
      ),
    );
    const tail = out.filter((m) => m.command !== CMD.ACCESS_RIGHTS && m.command !== CMD.VERSION);
    assert.deepEqual(tail.map((m) => [m.command, m.payload.length, m.p1, m.p2]), [
      [CMD.CREATE_CHAN, 0, 1, 1],
      [CMD.EVENT_ADD, 24, 1, 50],
      [CMD.EVENT_ADD, 0, 1, 50],
      [CMD.CLEAR_CHANNEL, 0, 1, 1],
    ]);
    assert.ok(temp.sid > 0);
  } finally {
    beacons.close();
    client.close();
    await sim.stop();
  }
});
