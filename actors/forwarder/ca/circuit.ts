/**
 * One Channel Access virtual circuit (a TCP connection to one server, `epics-protocols.md` §1.6–1.9): VERSION,
 * CLIENT_NAME and HOST_NAME, then per channel CREATE_CHAN, one `EVENT_ADD` of `DBR_TIME_<native>` (value and alarm
 * changes, dynamic count) and one `READ_NOTIFY` of `DBR_CTRL_<native>` (units, precision, limits, enum states) once
 * per connection. ECHO after `echoMs` of silence; no answer within `echoTimeoutMs` closes the circuit.
 * EVENTS_OFF/EVENTS_ON hold back a paused client's updates (the server then keeps only each monitor's newest).
 *
 * Received bytes go into one buffer that grows to the largest message (bounded by `maxPayload`); messages are decoded
 * in place (`decode.ts`). A server that breaks the protocol (a malformed frame, a wrong type or count, an unknown
 * command) closes the circuit with a reason starting "protocol error"; the client then counts it and searches the
 * channels again. A channel the server refuses or drops is reported lost on its own.
 *
 * @module
 */
import type { CaType, CaUpdate } from "../../../protocols/forwarder.ts";
import { CA_TYPES, dbrBytes } from "../../common/ca/dbr.ts";
import {
  CA_MINOR,
  CaFrameError,
  type CaMessage,
  CMD,
  DBE,
  ECA,
  encodeMessage,
  readMessage,
  stringPayload,
} from "../../common/ca/messages.ts";
import {
  type CaChannelInfo,
  CaProtocolError,
  ctrlType,
  decodeControl,
  decodeUpdate,
  errorText,
  timeType,
} from "./decode.ts";

/** What a channel of a circuit reports. */
export interface ChannelEvents {
  /** the server created the channel (its native type and count); its monitor is being set up. */
  onConnected(type: CaType, count: number): void;
  /** the channel's control information arrived (once per connection). */
  onInfo(info: CaChannelInfo): void;
  onUpdate(update: CaUpdate): void;
  /** an update the server marked as failed (e.g. no read access), or its error report; the channel stays. */
  onError(message: string): void;
  /** the server refused or dropped the channel (the circuit stays). */
  onLost(reason: string): void;
}

/** Limits and timing of a circuit. */
export interface CircuitOptions {
  /**
   * largest message payload accepted, bytes: a larger frame is a protocol error, a channel whose native count needs
   * more is reported (onError) and not monitored. @default 16 MiB (2 million doubles)
   */
  maxPayload?: number;
  /** send ECHO after this long without receiving anything. @default 15000 */
  echoMs?: number;
  /** close the circuit when an ECHO is not answered within this long. @default 10000 */
  echoTimeoutMs?: number;
  /** where a server's error reports about no channel of ours go. */
  log?: (message: string) => void;
}

/** What a circuit writes to and closes: a TCP connection. */
export interface CircuitTransport {
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

interface Channel {
  cid: number;
  name: string;
  events: ChannelEvents;
  sid: number | null;
  native: number;
  count: number;
  subscription: number;
  ioid: number;
}

/** Free bytes kept after the received data for the next read. */
const MIN_FREE = 64 * 1024;
let lastId = 0;
/** Channel, subscription and read ids: unique in this Worker, so a stale reply can never hit a newer channel. */
function nextId(): number {
  lastId = lastId >= 0x7fffffff ? 1 : lastId + 1;
  return lastId;
}

/** A circuit; {@linkcode CaCircuit.open} makes one, `closed` resolves when it is gone (with the reason). */
export class CaCircuit {
  private channels = new Map<number, Channel>();
  private bySubscription = new Map<number, Channel>();
  private byIoid = new Map<number, Channel>();
  private buffer = new Uint8Array(256 * 1024);
  private start = 0;
  private end = 0;
  private outbox: Uint8Array[] = [];
  private flushing = false;
  private lastReceived = Date.now();
  private echoSentAt = 0;
  private timer: ReturnType<typeof setInterval>;
  private done = false;
  private paused = false;
  private options: Required<CircuitOptions>;
  private resolveClosed!: (reason: string) => void;
  /** resolves with the reason once the circuit is closed. */
  readonly closed: Promise<string> = new Promise((r) => this.resolveClosed = r);

  /**
   * A circuit on `transport` (already connected) to the server `key`, whose protocol minor version is `minor` as far
   * as known (from its search reply; its VERSION message updates it).
   */
  constructor(
    private transport: CircuitTransport,
    readonly key: string,
    private minor: number,
    options: CircuitOptions,
  ) {
    this.options = {
      maxPayload: options.maxPayload ?? 16 << 20,
      echoMs: options.echoMs ?? 15_000,
      echoTimeoutMs: options.echoTimeoutMs ?? 10_000,
      log: options.log ?? (() => {}),
    };
    this.timer = setInterval(() => this.tick(), Math.min(1000, this.options.echoMs));
    this.send(encodeMessage(CMD.VERSION, 0, CA_MINOR, 0, 0));
    this.send(encodeMessage(CMD.CLIENT_NAME, 0, 0, 0, 0, stringPayload(Deno.env.get("USER") ?? "nxflow")));
    this.send(encodeMessage(CMD.HOST_NAME, 0, 0, 0, 0, stringPayload(Deno.hostname())));
  }

  /** Connects to `host:port` and starts reading. @throws when the TCP connection cannot be made. */
  static async open(host: string, port: number, minor: number, options: CircuitOptions = {}): Promise<CaCircuit> {
    const conn = await Deno.connect({ hostname: host, port });
    conn.setNoDelay(true);
    const circuit = new CaCircuit(conn, `${host}:${port}`, minor, options);
    circuit.readLoop(conn);
    return circuit;
  }

  /** Whether the circuit is closed. */
  get isClosed(): boolean {
    return this.done;
  }

  /** Channels on this circuit. */
  get size(): number {
    return this.channels.size;
  }

  /** Creates channel `name` and monitors it once the server answers. Returns its id for {@linkcode remove}. */
  add(name: string, events: ChannelEvents): number {
    const ch: Channel = { cid: nextId(), name, events, sid: null, native: 0, count: 0, subscription: 0, ioid: 0 };
    this.channels.set(ch.cid, ch);
    this.send(encodeMessage(CMD.CREATE_CHAN, 0, 0, ch.cid, CA_MINOR, stringPayload(name)));
    return ch.cid;
  }

  /** Clears a channel (no more events for it). */
  remove(cid: number): void {
    const ch = this.channels.get(cid);
    if (!ch) return;
    this.forget(ch);
    if (ch.sid !== null) this.send(encodeMessage(CMD.CLEAR_CHANNEL, 0, 0, ch.sid, ch.cid));
  }

  /** Holds back (EVENTS_OFF) or releases (EVENTS_ON) every monitor update of the circuit. */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.send(encodeMessage(paused ? CMD.EVENTS_OFF : CMD.EVENTS_ON, 0, 0, 0, 0));
  }

  /** Closes the circuit; `closed` resolves with `reason`. */
  close(reason: string): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.timer);
    try {
      this.transport.close();
    } catch { /* closed already */ }
    this.resolveClosed(reason);
  }

  /**
   * Handles bytes as the server sent them, however they are cut (what the read loop does with each read).
   * @throws {CaProtocolError} when they break the protocol (the read loop then closes the circuit).
   */
  receive(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length;) {
      const room = this.room();
      const n = Math.min(room.length, chunk.length - at);
      room.set(chunk.subarray(at, at + n));
      at += n;
      this.ingest(n);
    }
  }

  private async readLoop(conn: Deno.TcpConn): Promise<void> {
    try {
      while (!this.done) {
        const n = await conn.read(this.room());
        if (n === null) return this.close("server closed the circuit");
        this.ingest(n);
      }
    } catch (error) {
      this.close(error instanceof CaProtocolError ? `protocol error: ${error.message}` : `read failed: ${error}`);
    }
  }

  /** Bytes the whole message at `start` takes, or 0 while its header is incomplete. */
  private pendingLength(): number {
    const available = this.end - this.start;
    if (available < 16) return 0;
    const b = this.buffer;
    const s = this.start;
    const size = (b[s + 2] << 8) | b[s + 3];
    if (size !== 0xffff) return 16 + size;
    if (available < 24) return 0;
    return 24 + new DataView(b.buffer, b.byteOffset + s + 16, 4).getUint32(0);
  }

  /** The free part of the buffer: a partial message moves to its front, and the buffer grows for a big one. */
  private room(): Uint8Array {
    const pending = this.end - this.start;
    const total = Math.max(this.pendingLength(), pending + MIN_FREE);
    if (this.start + total > this.buffer.length) {
      if (total > this.buffer.length) {
        const bigger = new Uint8Array(total);
        bigger.set(this.buffer.subarray(this.start, this.end));
        this.buffer = bigger;
      } else this.buffer.copyWithin(0, this.start, this.end);
      this.start = 0;
      this.end = pending;
    }
    return this.buffer.subarray(this.end);
  }

  /** Handles the whole messages after `n` more bytes arrived at `end`. */
  private ingest(n: number): void {
    this.end += n;
    this.lastReceived = Date.now();
    this.echoSentAt = 0;
    let at = this.start;
    try {
      for (;;) {
        const read = readMessage(this.buffer, at, this.end, this.options.maxPayload);
        if (!read) break;
        at = read.next;
        this.handle(read.message);
        if (this.done) return;
      }
    } catch (error) {
      if (error instanceof CaFrameError) throw new CaProtocolError(error.message);
      throw error;
    }
    this.start = at;
    if (this.start === this.end) this.start = this.end = 0;
  }

  private handle(m: CaMessage): void {
    switch (m.command) {
      case CMD.VERSION:
        if (m.count > 0) this.minor = m.count;
        return;
      case CMD.CREATE_CHAN:
        return this.onCreated(m);
      case CMD.EVENT_ADD:
        return this.onEvent(m);
      case CMD.READ_NOTIFY:
        return this.onRead(m);
      case CMD.CREATE_CH_FAIL:
        return this.drop(m.p1, "the server refused the channel");
      case CMD.SERVER_DISCONN:
        return this.drop(m.p1, "the server disconnected the channel");
      case CMD.ERROR:
        return this.onServerError(m);
      case CMD.ACCESS_RIGHTS: // a channel without read access gets updates with a failure status
      case CMD.ECHO:
      case CMD.CLEAR_CHANNEL:
        return;
      default:
        throw new CaProtocolError(`unexpected command ${m.command}`);
    }
  }

  private onCreated(m: CaMessage): void {
    const ch = this.channels.get(m.p1);
    if (!ch) return this.send(encodeMessage(CMD.CLEAR_CHANNEL, 0, 0, m.p2, m.p1)); // removed meanwhile
    if (ch.sid !== null) throw new CaProtocolError(`channel ${ch.name} created twice`);
    if (m.dataType >= CA_TYPES.length) throw new CaProtocolError(`${ch.name} has unknown native type ${m.dataType}`);
    ch.sid = m.p2;
    ch.native = m.dataType;
    ch.count = m.count;
    const type = CA_TYPES[ch.native];
    ch.events.onConnected(type, ch.count);
    if (dbrBytes(type, "time", ch.count) > this.options.maxPayload) {
      return ch.events.onError(
        `${ch.name}: ${ch.count} elements exceed ${this.options.maxPayload} bytes, not monitored`,
      );
    }
    ch.subscription = nextId();
    this.bySubscription.set(ch.subscription, ch);
    const request = new Uint8Array(16);
    request[13] = DBE.VALUE | DBE.ALARM;
    const count = this.minor >= 13 ? 0 : m.count;
    this.send(encodeMessage(CMD.EVENT_ADD, timeType(ch.native), count, ch.sid, ch.subscription, request));
    if (type !== "string") {
      ch.ioid = nextId();
      this.byIoid.set(ch.ioid, ch);
      this.send(encodeMessage(CMD.READ_NOTIFY, ctrlType(ch.native), 1, ch.sid, ch.ioid));
    }
  }

  private onEvent(m: CaMessage): void {
    const ch = this.bySubscription.get(m.p2);
    if (!ch) return; // the channel was cleared meanwhile
    if (m.p1 !== ECA.NORMAL) return ch.events.onError(`${ch.name}: the server sent an update with status ECA ${m.p1}`);
    ch.events.onUpdate(decodeUpdate(m, ch.native, ch.count));
  }

  private onRead(m: CaMessage): void {
    const ch = this.byIoid.get(m.p2);
    if (!ch) return;
    this.byIoid.delete(m.p2);
    if (m.p1 === ECA.NORMAL) ch.events.onInfo(decodeControl(m, ch.native, ch.count));
  }

  /** A server's error report: about one of our channels (it stays; the server closes the circuit if it must). */
  private onServerError(m: CaMessage): void {
    const message = `the CA server ${this.key} reported ECA ${m.p2}: "${errorText(m)}"`;
    const ch = this.channels.get(m.p1);
    if (ch) ch.events.onError(`${ch.name}: ${message}`);
    else this.options.log(message);
  }

  private drop(cid: number, reason: string): void {
    const ch = this.channels.get(cid);
    if (!ch) return;
    this.forget(ch);
    ch.events.onLost(reason);
  }

  private forget(ch: Channel): void {
    this.channels.delete(ch.cid);
    this.bySubscription.delete(ch.subscription);
    this.byIoid.delete(ch.ioid);
  }

  private tick(): void {
    const now = Date.now();
    if (this.echoSentAt && now - this.echoSentAt > this.options.echoTimeoutMs) {
      return this.close("server unresponsive: no answer to ECHO");
    }
    if (!this.echoSentAt && now - this.lastReceived > this.options.echoMs) {
      this.echoSentAt = now;
      this.send(encodeMessage(CMD.ECHO, 0, 0, 0, 0));
    }
  }

  private send(bytes: Uint8Array): void {
    if (this.done) return;
    this.outbox.push(bytes);
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(() => this.flush());
  }

  /** Writes what was queued, in order, as few writes as possible. */
  private async flush(): Promise<void> {
    try {
      while (this.outbox.length > 0 && !this.done) {
        const parts = this.outbox.splice(0);
        let chunk = parts[0];
        if (parts.length > 1) {
          chunk = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          parts.reduce((at, p) => (chunk.set(p, at), at + p.length), 0);
        }
        for (let at = 0; at < chunk.length;) at += await this.transport.write(chunk.subarray(at));
      }
    } catch (error) {
      this.close(`send failed: ${error}`);
    } finally {
      this.flushing = false;
    }
  }
}
