/**
 * The sim's EPICS Channel Access server (protocol 4.13), in its own actor: answers UDP searches for the names it
 * hosts (never NOT_FOUND over UDP), serves each client's TCP circuit (`ca_circuit.ts`), and sends beacons to the
 * repeater port (first at 20 ms, doubling up to the beacon period, numbered, as RSRV does) so that C clients
 * reconnect quickly after a restart. It owns the instrument (`instrument.ts`): steps its physics once per pulse and
 * sends the detector the state that shapes the neutron data through the `instrument` channel, and updates the
 * benchmark load PVs. The UDP search socket allows address reuse, so other CA servers on the host can share the port.
 * Malformed datagrams are counted and skipped. Speaks protocols/sim.ts. Restart: permanent (clients reconnect).
 *
 * @module
 */
import type { CaServerProtocol } from "../../protocols/sim.ts";
import { CA_MINOR, CaFrameError, CMD, encodeMessage, parseDatagram } from "../common/ca/messages.ts";
import { readCString } from "../common/ca/dbr.ts";
import { defineActor } from "../runtime/actor.ts";
import { CaCircuit, type CaCounters } from "./ca_circuit.ts";
import { createInstrument, type Instrument, type InstrumentConfig } from "./instrument.ts";
import { nowNs } from "./pv.ts";

/** Configuration of the CA server. */
export interface CaServerConfig extends InstrumentConfig {
  /** address to serve on ("0.0.0.0" = every interface). */
  host: string;
  /** TCP and UDP port (0 = a free one, the same number for both). */
  port: number;
  /** where beacons go: hosts, and the repeater port. */
  beaconHosts: string[];
  beaconPort: number;
  /** longest beacon interval. */
  beaconPeriodMs: number;
  /** load PV updates per second. */
  loadHz: number;
  /** largest payload accepted from a client, bytes. */
  maxPayload: number;
}

interface State {
  config: CaServerConfig;
  instrument: Instrument;
  tcp: Deno.Listener;
  udp: Deno.DatagramConn;
  port: number;
  circuits: Set<CaCircuit>;
  counters: CaCounters;
  /** [0] is the beacon timer. */
  timers: ReturnType<typeof setTimeout>[];
  beacon: number;
  lastDrop: string;
}

const COUNTERS = [
  "tcp.clients",
  "tcp.clientsDropped",
  "tcp.messages",
  "tcp.malformed",
  "tcp.unknownCommands",
  "tcp.badIds",
  "tcp.createFailed",
  "tcp.slowClients",
  "udp.datagrams",
  "udp.malformed",
  "udp.searches",
  "udp.replies",
  "beacons",
  "reads",
  "writes",
  "writeFailures",
  "monitor.updates",
  "monitor.squashed",
];

async function accept(s: State): Promise<void> {
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await s.tcp.accept();
    } catch {
      return; // listener closed
    }
    s.counters["tcp.clients"]++;
    const drop = (why: string) => (s.lastDrop = why);
    const circuit = new CaCircuit(conn, s.instrument.pvs, s.counters, s.port, s.config.maxPayload, drop);
    s.circuits.add(circuit);
    circuit.run().finally(() => s.circuits.delete(circuit));
  }
}

/** Answers every SEARCH of a hosted name in one datagram, with the VERSION echoed first. */
async function serveUdp(s: State): Promise<void> {
  for (;;) {
    let received: [Uint8Array, Deno.Addr];
    try {
      received = await s.udp.receive();
    } catch {
      return; // socket closed
    }
    s.counters["udp.datagrams"]++;
    const [bytes, from] = received;
    try {
      const replies: Uint8Array[] = [];
      let sequence = 0;
      for (const m of parseDatagram(bytes, 16_384)) {
        if (m.command === CMD.VERSION) sequence = m.p1;
        if (m.command !== CMD.SEARCH) continue;
        s.counters["udp.searches"]++;
        if (!s.instrument.pvs.get(readCString(m.payload, 0, m.payload.length))) continue;
        const minor = new Uint8Array(8);
        minor[1] = CA_MINOR;
        replies.push(encodeMessage(CMD.SEARCH, s.port, 0, 0xffffffff, m.p2, minor));
      }
      if (replies.length === 0) continue;
      s.counters["udp.replies"] += replies.length;
      const out = [encodeMessage(CMD.VERSION, 1, CA_MINOR, sequence, 0), ...replies];
      const datagram = new Uint8Array(out.reduce((n, r) => n + r.length, 0));
      out.reduce((at, r) => (datagram.set(r, at), at + r.length), 0);
      await s.udp.send(datagram, from).catch(() => {});
    } catch (error) {
      if (!(error instanceof CaFrameError || error instanceof RangeError)) throw error;
      s.counters["udp.malformed"]++;
    }
  }
}

/** Sends numbered beacons at 20 ms, 40 ms, … doubling up to the beacon period. */
function beacons(s: State): void {
  let interval = 20;
  const send = () => {
    const beacon = encodeMessage(CMD.RSRV_IS_UP, CA_MINOR, s.port, s.beacon++, 0);
    for (const hostname of s.config.beaconHosts) {
      s.udp.send(beacon, { transport: "udp", hostname, port: s.config.beaconPort }).catch(() => {});
    }
    s.counters["beacons"]++;
    interval = Math.min(interval * 2, s.config.beaconPeriodMs);
    s.timers[0] = setTimeout(send, interval);
  };
  send();
}

/** Runs `step` `hz` times per second on average, catching up in bursts when timers fire late. */
function every(hz: number, step: () => void): ReturnType<typeof setInterval> {
  const began = performance.now();
  let done = 0;
  return setInterval(() => {
    const due = Math.min(Math.floor(((performance.now() - began) / 1000) * hz) - done, Math.max(1, hz / 10));
    for (let i = 0; i < due; i++) step();
    done += Math.max(due, 0);
  }, Math.max(1000 / hz, 4));
}

export default defineActor<CaServerProtocol, CaServerConfig, State>({
  init(config, ctx) {
    const tcp = Deno.listen({ hostname: config.host, port: config.port });
    const port = (tcp.addr as Deno.NetAddr).port;
    let udp: Deno.DatagramConn;
    try {
      udp = Deno.listenDatagram({ hostname: config.host, port, transport: "udp", reuseAddress: true });
    } catch (error) {
      tcp.close();
      throw error;
    }
    const s: State = {
      config,
      instrument: createInstrument(config),
      tcp,
      udp,
      port,
      circuits: new Set(),
      counters: Object.fromEntries(COUNTERS.map((c) => [c, 0])),
      timers: [],
      beacon: 0,
      lastDrop: "",
    };
    accept(s);
    serveUdp(s);
    beacons(s);
    const instrument = ctx.port("instrument");
    s.timers.push(setInterval(() => {
      s.instrument.pulse(nowNs());
      instrument.post(s.instrument.state());
    }, 1000 / config.pulseHz));
    if (config.loadHz > 0 && config.loadPvs + config.loadArrays > 0) {
      s.timers.push(every(config.loadHz, () => s.instrument.load()));
    }
    return s;
  },
  requests: {
    stats: (s) => ({
      counters: { ...s.counters },
      clients: s.circuits.size,
      pvs: s.instrument.pvs.names().length,
      port: s.port,
      lastDrop: s.lastDrop,
    }),
  },
  terminate(s) {
    for (const t of s.timers) clearTimeout(t);
    for (const c of s.circuits) c.close();
    s.tcp.close();
    s.udp.close();
  },
});
