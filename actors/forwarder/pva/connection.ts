/**
 * One pvAccess TCP connection to one server (reference `epics-protocols.md` §2.6–2.9): connection validation,
 * channels, one pipelined MONITOR per channel with partial updates merged into a cached copy, ECHO keep-alive and the
 * inactivity timeout. Anything that breaks the protocol closes the connection (the client then searches again);
 * a channel the server refuses or destroys is reported lost on its own.
 *
 * @module
 */
import {
  CMD,
  CONTROL_SET_BYTE_ORDER,
  createChannelMessage,
  destroyChannelMessage,
  destroyRequestMessage,
  echoMessage,
  MONITOR,
  monitorAckMessage,
  monitorInitMessage,
  monitorRequest,
  monitorStartMessage,
  validationMessage,
} from "./messages.ts";
import { type FieldDesc, type PvStructure, readFieldDesc, readPartial, type TypeCache } from "./types.ts";
import { type Frame, FrameSplitter, PvaDecodeError, PvaReader } from "./wire.ts";

/** What a channel of a connection reports. */
export interface ChannelEvents {
  /** the monitor's first update arrived (the channel is up). */
  onUpdate(value: PvStructure, type: FieldDesc & { kind: "structure" }): void;
  /** the server refused or dropped the channel or its monitor (the connection stays). */
  onLost(reason: string): void;
}

/** Timing and flow-control settings. */
export interface ConnectionOptions {
  /** send ECHO after this long without sending. @default 15000 */
  echoMs?: number;
  /** close after this long without receiving. @default 30000 */
  timeoutMs?: number;
  /**
   * monitor window (pvRequest queueSize); acks go out when half of it is used. @default 32 (with 8, the first
   * benchmark forwarded 38% of a 2,048-double PV posted at ~3 kHz while the forwarder used 0.38 cores: the acks'
   * round trip, not the CPU, looked like the limit)
   */
  queueSize?: number;
}

interface Channel {
  cid: number;
  name: string;
  events: ChannelEvents;
  sid: number | null;
  ioid: number;
  type: (FieldDesc & { kind: "structure" }) | null;
  value: PvStructure;
  unacked: number;
}

let nextId = 1;

/** A connection; {@linkcode PvaConnection.open} makes one, `closed` resolves when it is gone (with the reason). */
export class PvaConnection {
  private le = true;
  private validated = false;
  private channels = new Map<number, Channel>();
  private byIoid = new Map<number, Channel>();
  private cache: TypeCache = new Map();
  private lastSent = Date.now();
  private lastReceived = Date.now();
  private timer: ReturnType<typeof setInterval>;
  private done = false;
  /** writes in order, one at a time. */
  private writing = Promise.resolve();
  private resolveClosed!: (reason: string) => void;
  /** resolves with the reason once the connection is closed. */
  readonly closed: Promise<string> = new Promise((r) => this.resolveClosed = r);
  /** hold back monitor acks (the consumer of the updates is behind): servers stop at their window. */
  private paused = false;

  private constructor(private conn: Deno.TcpConn, readonly key: string, private options: Required<ConnectionOptions>) {
    this.timer = setInterval(() => this.tick(), Math.min(1000, options.echoMs));
    this.readLoop();
  }

  /** Connects to `host:port`. @throws when the TCP connection cannot be made. */
  static async open(host: string, port: number, options: ConnectionOptions = {}): Promise<PvaConnection> {
    const conn = await Deno.connect({ hostname: host, port });
    conn.setNoDelay(true);
    return new PvaConnection(conn, `${host}:${port}`, {
      echoMs: options.echoMs ?? 15_000,
      timeoutMs: options.timeoutMs ?? 30_000,
      queueSize: options.queueSize ?? 32,
    });
  }

  /** Creates channel `name` (now, or once validated) and monitors it. Returns its id for {@linkcode remove}. */
  add(name: string, events: ChannelEvents): number {
    const ch: Channel = { cid: nextId++, name, events, sid: null, ioid: 0, type: null, value: {}, unacked: 0 };
    this.channels.set(ch.cid, ch);
    if (this.validated) this.send(createChannelMessage(this.le, ch.cid, name));
    return ch.cid;
  }

  /** Destroys a channel (no more events for it). */
  remove(cid: number): void {
    const ch = this.channels.get(cid);
    if (!ch) return;
    this.channels.delete(cid);
    this.byIoid.delete(ch.ioid);
    if (ch.sid !== null && !this.done) {
      if (ch.ioid) this.send(destroyRequestMessage(this.le, ch.sid, ch.ioid));
      this.send(destroyChannelMessage(this.le, ch.sid, cid));
    }
  }

  /** Channels still on this connection. */
  get size(): number {
    return this.channels.size;
  }

  /** Closes the connection; `closed` resolves with `reason`. */
  close(reason: string): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.timer);
    try {
      this.conn.close();
    } catch { /* already closed */ }
    this.resolveClosed(reason);
  }

  private send(bytes: Uint8Array): void {
    if (this.done) return;
    this.lastSent = Date.now();
    this.writing = this.writing.then(() => writeAll(this.conn, bytes)).catch((e) => this.close(`send failed: ${e}`));
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastReceived > this.options.timeoutMs) return this.close("server silent, timed out");
    if (this.validated && now - this.lastSent > this.options.echoMs) this.send(echoMessage(this.le));
  }

  private async readLoop(): Promise<void> {
    const splitter = new FrameSplitter();
    const buf = new Uint8Array(256 * 1024);
    try {
      while (!this.done) {
        const n = await this.conn.read(buf);
        if (n === null) return this.close("server closed the connection");
        this.lastReceived = Date.now();
        for (const frame of splitter.push(buf.subarray(0, n))) this.handle(frame);
      }
    } catch (error) {
      const why = error instanceof PvaDecodeError ? `protocol error: ${error.message}` : `read failed: ${error}`;
      this.close(why);
    }
  }

  private handle(f: Frame): void {
    if (f.control) {
      if (f.command === CONTROL_SET_BYTE_ORDER) this.le = f.littleEndian;
      return;
    }
    const r = new PvaReader(f.payload, f.littleEndian);
    switch (f.command) {
      case CMD.validation:
        return this.onValidation(r);
      case CMD.validated:
        return this.onValidated(r);
      case CMD.createChannel:
        return this.onCreateChannel(r);
      case CMD.destroyChannel:
        return this.onDestroyChannel(r);
      case CMD.monitor:
        return this.onMonitor(r);
      case CMD.echo:
        return; // our echo's reply (or a server's echo, answered by any traffic)
      default:
        return; // MESSAGE and others are not needed by a monitoring client
    }
  }

  private onValidation(r: PvaReader): void {
    r.u32();
    r.u16();
    const n = r.count(1);
    const methods = Array.from({ length: n }, () => r.string());
    this.send(validationMessage(this.le, methods, Deno.env.get("USER") ?? "nxflow", Deno.hostname()));
  }

  private onValidated(r: PvaReader): void {
    const status = r.status();
    if (status && status.type >= 2) return this.close(`connection refused: ${status.message}`);
    this.validated = true;
    for (const ch of this.channels.values()) this.send(createChannelMessage(this.le, ch.cid, ch.name));
  }

  private onCreateChannel(r: PvaReader): void {
    const cid = r.u32();
    const sid = r.u32();
    const status = r.status();
    const ch = this.channels.get(cid);
    if (!ch) return;
    if (status && status.type >= 2) {
      this.channels.delete(cid);
      return ch.events.onLost(`channel refused: ${status.message}`);
    }
    ch.sid = sid;
    ch.ioid = nextId++;
    this.byIoid.set(ch.ioid, ch);
    const q = this.options.queueSize;
    this.send(monitorInitMessage(this.le, sid, ch.ioid, monitorRequest(q), q));
  }

  private onDestroyChannel(r: PvaReader): void {
    r.u32();
    const ch = this.channels.get(r.u32());
    if (!ch) return;
    this.channels.delete(ch.cid);
    this.byIoid.delete(ch.ioid);
    ch.events.onLost("the server destroyed the channel");
  }

  private onMonitor(r: PvaReader): void {
    const ch = this.byIoid.get(r.u32());
    if (!ch || ch.sid === null) return;
    const sub = r.u8();
    if (sub & MONITOR.init) {
      const status = r.status();
      if (status && status.type >= 2) return this.lose(ch, `monitor refused: ${status.message}`);
      const type = readFieldDesc(r, this.cache);
      if (!type || type.kind !== "structure") throw new PvaDecodeError(`${ch.name}: monitor type is not a structure`);
      ch.type = type;
      ch.value = {};
      this.send(monitorStartMessage(this.le, ch.sid, ch.ioid));
      return;
    }
    if (sub & MONITOR.final) {
      const status = r.status();
      return this.lose(ch, `monitor ended by the server${status ? `: ${status.message}` : ""}`);
    }
    if (!ch.type) throw new PvaDecodeError(`${ch.name}: update before the monitor's type`);
    const changed = r.bitSet();
    readPartial(r, ch.type, changed, ch.value, this.cache);
    r.bitSet(); // overrun
    if (++ch.unacked >= Math.max(1, this.options.queueSize >> 1) && !this.paused) this.ack(ch);
    ch.events.onUpdate(ch.value, ch.type);
  }

  /**
   * Holds back (true) or releases (false) the monitors' acks: while held, each server sends at most its window of
   * updates per channel, then merges further changes on its side. Releasing acks what was held.
   */
  setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) return;
    for (const ch of this.byIoid.values()) if (ch.unacked > 0) this.ack(ch);
  }

  private ack(ch: Channel): void {
    if (ch.sid === null) return;
    this.send(monitorAckMessage(this.le, ch.sid, ch.ioid, ch.unacked));
    ch.unacked = 0;
  }

  private lose(ch: Channel, reason: string): void {
    this.remove(ch.cid);
    ch.events.onLost(reason);
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}
