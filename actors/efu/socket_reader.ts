/**
 * The EFU's socket reader: receives ESS readout datagrams with `Deno.listenDatagram` and hands them on in batches
 * of transferred buffers over its `packets` channel; does nothing else, so that it keeps receiving while the
 * formation actor restarts. Batches go out when `batchPackets` datagrams arrived or `batchMs` after the first one.
 * Each batch is kept until formation acknowledges it, and the batches kept are sent again to a restarted formation
 * (`flow_window.ts`); what is kept is bounded (`maxInFlightBytes`): beyond it batches are dropped and counted
 * (`receive.dropped`); a batch known lost otherwise is counted as `receive.lost`. The kernel receive buffer is
 * enlarged at start (`rxBufferBytes`, see `socket_buffer.ts`); the size granted is `receive.rxbuffer_bytes`. Speaks
 * protocols/efu.ts. Restart: permanent; its counters outlive it (`counters.ts`).
 *
 * @module
 */
import type { FlowAck, PacketBatch, SocketReaderProtocol } from "../../protocols/efu.ts";
import { defineActor, type Port } from "../runtime/actor.ts";
import { type Counters, countersOf } from "./counters.ts";
import { FlowWindow } from "./flow_window.ts";
import { setReceiveBuffer } from "./socket_buffer.ts";

/** Configuration of the socket reader. */
export interface SocketReaderConfig {
  host: string;
  port: number;
  /** @default 32 */
  batchPackets?: number;
  /** @default 2 */
  batchMs?: number;
  /** @default 67108864 (64 MiB) */
  maxInFlightBytes?: number;
  /** kernel receive buffer to ask for (capped by net.core.rmem_max), as the reference's --rxbuffer. @default 2000000 */
  rxBufferBytes?: number;
  /** where the counters live across restarts (`counters.ts`). */
  counterStore?: SharedArrayBuffer;
}

/** Bytes kept per datagram: more than the largest valid payload, so oversized ones are seen (and rejected). */
const SLOT = 9000;

const COUNTERS = [
  "receive.packets",
  "receive.bytes",
  "receive.dropped",
  "receive.lost",
  "receive.batches",
  "receive.rxbuffer_bytes",
];

interface State {
  conn: Deno.DatagramConn;
  counters: Counters;
  window: FlowWindow<PacketBatch>;
  port: Port<PacketBatch | FlowAck>;
  batchPackets: number;
  data: Uint8Array;
  lengths: Uint32Array;
  count: number;
  used: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  batchMs: number;
  closed: boolean;
}

/** A copy to transfer (the window keeps the batch). */
const copyOfPackets = (b: PacketBatch): PacketBatch => ({ ...b, data: b.data.slice(), lengths: b.lengths.slice() });

function flush(s: State): void {
  clearTimeout(s.timer);
  s.timer = undefined;
  if (s.count === 0) return;
  if (!s.window.fits(s.used)) {
    s.counters["receive.dropped"] += s.count;
    s.count = 0;
    s.used = 0;
    return;
  }
  // the window keeps copies of the used part (the batch buffers are reused: no large allocation per batch); copies of
  // those are transferred, while formation is up
  const batch = s.window.sent(s.used, s.count, {
    type: "packets",
    from: 0,
    seq: 0,
    data: s.data.slice(0, s.used),
    lengths: s.lengths.slice(0, s.count),
  });
  if (s.port.connected) s.port.post(copyOfPackets(batch));
  s.counters["receive.batches"]++;
  s.count = 0;
  s.used = 0;
}

async function receiveLoop(s: State): Promise<void> {
  const scratch = new Uint8Array(SLOT);
  while (!s.closed) {
    let datagram: Uint8Array;
    try {
      [datagram] = await s.conn.receive(scratch);
    } catch (error) {
      if (s.closed) return;
      throw error;
    }
    s.counters["receive.packets"]++;
    s.counters["receive.bytes"] += datagram.length;
    s.data.set(datagram, s.used);
    s.lengths[s.count++] = datagram.length;
    s.used += datagram.length;
    if (s.count === s.batchPackets) flush(s);
    else if (s.timer === undefined) s.timer = setTimeout(() => flush(s), s.batchMs);
  }
}

export default defineActor<SocketReaderProtocol, SocketReaderConfig, State>({
  init(config, ctx) {
    const conn = Deno.listenDatagram({ hostname: config.host, port: config.port, transport: "udp" });
    const s: State = {
      conn,
      counters: countersOf(COUNTERS, config.counterStore),
      window: new FlowWindow(config.maxInFlightBytes ?? 64 * 1024 * 1024),
      port: ctx.port("packets"),
      batchPackets: config.batchPackets ?? 32,
      data: new Uint8Array((config.batchPackets ?? 32) * SLOT),
      lengths: new Uint32Array(config.batchPackets ?? 32),
      count: 0,
      used: 0,
      timer: undefined,
      batchMs: config.batchMs ?? 2,
      closed: false,
    };
    const bound = (conn.addr as Deno.NetAddr).port;
    s.counters["receive.rxbuffer_bytes"] = setReceiveBuffer(bound, config.rxBufferBytes ?? 2_000_000);
    s.port.onMessage((m) => {
      if (m.type === "done") s.counters["receive.lost"] += s.window.done(m.seq);
    });
    s.port.onConnect(() => {
      for (const batch of s.window.unsettled()) s.port.post(copyOfPackets(batch));
    });
    void receiveLoop(s); // a receive error rejects unhandled: the actor crashes and is restarted
    return s;
  },
  requests: {
    stats: (s) => ({ ...s.counters }),
  },
  terminate(s) {
    s.closed = true;
    clearTimeout(s.timer);
    s.conn.close();
  },
});
