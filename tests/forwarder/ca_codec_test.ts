/**
 * The forwarder's Channel Access client as pure logic (`actors/forwarder/ca/`): monitor updates of every type encoded
 * with the sim server's codec decode to the values, alarm and EPICS time; a circuit fed a server's byte stream cut at
 * every size creates, monitors and reads a channel as the protocol says; search replies as RSRV sends them; and a
 * fuzz: mutated server streams and datagrams only ever raise CaProtocolError.
 */
import assert from "node:assert/strict";
import type { CaUpdate } from "../../protocols/forwarder.ts";
import { CA_TYPES, type DbrMeta, dbrType } from "../../actors/common/ca/dbr.ts";
import {
  type CaMessage,
  CMD,
  ECA,
  encodeDbrMessage,
  encodeMessage,
  parseDatagram,
} from "../../actors/common/ca/messages.ts";
import { CaCircuit, type ChannelEvents } from "../../actors/forwarder/ca/circuit.ts";
import { CaProtocolError, decodeSearchReplies, decodeUpdate } from "../../actors/forwarder/ca/decode.ts";

const META: DbrMeta = {
  status: 4,
  severity: 1,
  timestampNs: 1_700_000_000_123_456_789n,
  units: "mm",
  precision: 3,
  limits: {
    upperDisp: 10,
    lowerDisp: 0,
    upperAlarm: 9,
    upperWarning: 8,
    lowerWarning: 2,
    lowerAlarm: 1,
    upperCtrl: 10,
    lowerCtrl: 0,
  },
  enumStrings: ["Closed", "Open"],
};

const update = (type: typeof CA_TYPES[number], values: number[] | string[], count = values.length) =>
  encodeDbrMessage(CMD.EVENT_ADD, dbrType(type, "time"), count, ECA.NORMAL, 7, type, values, META);
const message = (bytes: Uint8Array): CaMessage => parseDatagram(bytes, 1 << 24)[0];

Deno.test("ca decode: DBR_TIME updates of every type, scalars and arrays, with alarm and EPICS time", () => {
  for (const [native, type] of CA_TYPES.entries()) {
    const one = type === "string" ? ["hello"] : [type === "float" ? 0.5 : 3];
    const u = decodeUpdate(message(update(type, one)), native, 1);
    assert.deepEqual(u, {
      type,
      value: one[0],
      severity: 1,
      status: 4,
      timestampNs: META.timestampNs,
      array: false,
    });
    const many = type === "string" ? ["a", "b", "c"] : [1, 2, 3];
    const a = decodeUpdate(message(update(type, many)), native, 8);
    assert.equal(a.array, true);
    assert.deepEqual(Array.from(a.value as ArrayLike<number | string>), many, type);
    const empty = decodeUpdate(message(update(type, [], 0)), native, 8);
    assert.equal((empty.value as ArrayLike<number>).length, 0);
  }
  const big = Array.from({ length: 100_000 }, (_, i) => i / 4);
  const u = decodeUpdate(message(update("double", big)), 6, 100_000);
  assert.ok(u.value instanceof Float64Array && u.value.length === 100_000 && u.value[99_999] === 99_999 / 4);
  // the wrong DBR type, a scalar with two elements, a truncated payload
  const wrong = [
    () => decodeUpdate(message(update("long", [1])), 6, 1),
    () => decodeUpdate(message(update("double", [1, 2])), 6, 1),
    () => decodeUpdate({ ...message(update("double", [1, 2, 3])), count: 4 }, 6, 8),
  ];
  for (const f of wrong) assert.throws(f, CaProtocolError);
});

Deno.test("ca decode: search replies as RSRV sends them (VERSION echoed, 8-byte payload, address 0xFFFFFFFF)", () => {
  const rsrv = new Uint8Array([
    ...[0, 0, 0, 0, 0, 1, 0, 0x0d, 0, 0, 0, 1, 0, 0, 0, 0],
    ...[0, 6, 0, 8, 0x61, 0xe8, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0x0d, 0, 0, 0, 0, 0, 0],
    ...[0, 6, 0, 8, 0x13, 0xc8, 0, 0, 10, 0, 0, 7, 0, 0, 0, 2, 0, 0x0c, 0, 0, 0, 0, 0, 0],
  ]);
  assert.deepEqual(decodeSearchReplies(rsrv), [
    { id: 1, port: 25064, host: null, minor: 13 },
    { id: 2, port: 5064, host: "10.0.0.7", minor: 12 },
  ]);
  assert.throws(() => decodeSearchReplies(rsrv.subarray(0, 30)), CaProtocolError);
});

/** A circuit on a transport that records what the client writes. */
function circuitUnderTest(maxPayload?: number) {
  const written: Uint8Array[] = [];
  const events = { connected: [] as string[], updates: [] as CaUpdate[], infos: 0, errors: [] as string[], lost: 0 };
  const circuit = new CaCircuit(
    {
      write: (bytes) => (written.push(bytes.slice()), Promise.resolve(bytes.length)),
      close: () => {},
    },
    "test",
    13,
    { maxPayload },
  );
  const handlers: ChannelEvents = {
    onConnected: (type, count) => events.connected.push(`${type}[${count}]`),
    onInfo: () => events.infos++,
    onUpdate: (u) => events.updates.push(u),
    onError: (m) => events.errors.push(m),
    onLost: () => events.lost++,
  };
  /** Every message the client wrote so far. */
  const sent = async () => {
    await new Promise((r) => setTimeout(r, 0));
    return written.flatMap((w) => parseDatagram(w, 1 << 20));
  };
  return { circuit, events, handlers, sent };
}

/** The server's side of a session for a channel `cid` of native double[count]: created, then `updates` values. */
async function serverStream(count: number) {
  const t = circuitUnderTest();
  const cid = t.circuit.add("PV:X", t.handlers);
  const created = encodeMessage(CMD.CREATE_CHAN, 6, count, cid, 77);
  t.circuit.receive(
    concat([encodeMessage(CMD.VERSION, 0, 13, 0, 0), encodeMessage(CMD.ACCESS_RIGHTS, 0, 0, cid, 1), created]),
  );
  const sent = await t.sent();
  const add = sent.find((m) => m.command === CMD.EVENT_ADD)!;
  const read = sent.find((m) => m.command === CMD.READ_NOTIFY)!;
  const values = (v: number) => Array.from({ length: count }, (_, i) => v + i);
  const rest = concat([
    encodeDbrMessage(CMD.EVENT_ADD, 20, count, ECA.NORMAL, add.p2, "double", values(1), META),
    encodeDbrMessage(CMD.READ_NOTIFY, 34, 1, ECA.NORMAL, read.p2, "double", [0], META),
    encodeDbrMessage(CMD.EVENT_ADD, 20, count, ECA.NORMAL, add.p2, "double", values(2), META),
    encodeMessage(CMD.ECHO, 0, 0, 0, 0),
    encodeDbrMessage(CMD.EVENT_ADD, 20, count, 368, add.p2, "double", values(3), META),
    encodeMessage(CMD.SERVER_DISCONN, 0, 0, cid, 0),
  ]);
  return { ...t, cid, add, read, rest };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

Deno.test("ca circuit: create, monitor DBR_TIME with dynamic count, read DBR_CTRL once, however the bytes are cut", async () => {
  for (const count of [1, 2048, 100_000]) {
    for (const piece of [1, 7, 4096, Infinity]) {
      if (count === 100_000 && piece < 4096) continue;
      const s = await serverStream(count);
      try {
        const first = (await s.sent()).slice(0, 4).map((m) => m.command);
        assert.deepEqual(first, [CMD.VERSION, CMD.CLIENT_NAME, CMD.HOST_NAME, CMD.CREATE_CHAN]);
        assert.deepEqual([s.add.dataType, s.add.count, s.add.p1, s.add.payload[13]], [20, 0, 77, 5]);
        assert.deepEqual([s.read.dataType, s.read.count, s.read.p1], [34, 1, 77]);
        for (let at = 0; at < s.rest.length; at += piece) s.circuit.receive(s.rest.subarray(at, at + piece));
        assert.deepEqual(s.events.connected, [`double[${count}]`]);
        assert.equal(s.events.updates.length, 2);
        const [u1, u2] = s.events.updates;
        if (count === 1) assert.deepEqual([u1.value, u2.value, u1.array], [1, 2, false]);
        else assert.deepEqual([(u2.value as Float64Array)[count - 1], u2.array], [count + 1, true]);
        assert.deepEqual([s.events.infos, s.events.errors.length, s.events.lost], [1, 1, 1]);
      } finally {
        s.circuit.close("test over");
      }
    }
  }
});

Deno.test("ca fuzz: mutated server streams and search datagrams only ever raise CaProtocolError", async () => {
  let seed = 20261205;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  let failures = 0;
  let updates = 0;
  for (let i = 0; i < 3000; i++) {
    const s = await serverStream(i % 3 === 0 ? 1 : 16);
    const input = rand() < 0.1
      ? new Uint8Array(Math.floor(rand() * 200)).map(() => rand() * 256)
      : s.rest.map((b) => (rand() < 0.02 ? rand() * 256 : b));
    const cut = input.subarray(0, Math.floor(rand() * (input.length + 1)));
    try {
      for (let at = 0; at < cut.length; at += 1 + Math.floor(rand() * 64)) s.circuit.receive(cut.subarray(at, at + 64));
    } catch (error) {
      if (!(error instanceof CaProtocolError)) throw new Error(`${error} on ${Array.from(cut.subarray(0, 64))}`);
      failures++;
    } finally {
      s.circuit.close("fuzz");
    }
    updates += s.events.updates.length;
    for (const u of s.events.updates) assert.ok(typeof u.timestampNs === "bigint" && u.type === "double");
    const datagram = concat([encodeMessage(CMD.VERSION, 1, 13, 1, 0), cut.subarray(0, 200)]);
    try {
      decodeSearchReplies(datagram);
    } catch (error) {
      if (!(error instanceof CaProtocolError)) throw new Error(`search: ${error}`);
    }
  }
  assert.ok(failures > 100 && updates > 500, `${failures} protocol errors, ${updates} updates: the fuzz reaches both`);
  // a control read's bytes are checked too: a DBR_CTRL_DOUBLE cut short is a protocol error
  const s = await serverStream(1);
  try {
    const read = encodeDbrMessage(CMD.READ_NOTIFY, 34, 1, ECA.NORMAL, s.read.p2, "double", [0], META);
    const short = encodeMessage(CMD.READ_NOTIFY, 34, 1, ECA.NORMAL, s.read.p2, read.subarray(16, 40));
    assert.throws(() => s.circuit.receive(short), CaProtocolError);
  } finally {
    s.circuit.close("test over");
  }
});

Deno.test("ca circuit: a channel larger than the largest message accepted is reported and not monitored", async () => {
  const t = circuitUnderTest(1024);
  try {
    const cid = t.circuit.add("PV:BIG", t.handlers);
    t.circuit.receive(encodeMessage(CMD.CREATE_CHAN, 6, 1000, cid, 9));
    const sent = await t.sent();
    assert.ok(!sent.some((m) => m.command === CMD.EVENT_ADD), "no EVENT_ADD");
    assert.deepEqual(t.events.connected, ["double[1000]"]);
    assert.match(t.events.errors[0], /PV:BIG: 1000 elements exceed 1024 bytes/);
    // a frame above the limit is a protocol error
    const big = encodeMessage(CMD.EVENT_ADD, 20, 200, 1, 1, new Uint8Array(1616));
    assert.throws(() => t.circuit.receive(big), CaProtocolError);
  } finally {
    t.circuit.close("test over");
  }
});
