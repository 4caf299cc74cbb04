/**
 * One CA virtual circuit of the sim's CA server: a client's TCP connection. Answers VERSION, CLIENT_NAME/HOST_NAME,
 * CREATE_CHAN (ACCESS_RIGHTS first), READ/READ_NOTIFY, WRITE/WRITE_NOTIFY, EVENT_ADD/EVENT_CANCEL (value/log/alarm
 * masks, dynamic counts), EVENTS_OFF/ON, READ_SYNC, CLEAR_CHANNEL, ECHO and TCP SEARCH, as RSRV does
 * (epics-protocols.md §1.4–1.9). A malformed or truncated frame, an unknown command or a bad channel/monitor id is
 * counted, answered with CA_PROTO_ERROR and the circuit closed; nothing a client sends can throw out of `run`.
 *
 * Replies are queued and written in batches. When a slow client lets more than `HIGH_WATER` bytes pile up (or
 * between EVENTS_OFF and EVENTS_ON), only the newest update of each monitor is kept, and the others are counted; a
 * client that lets `MAX_QUEUED` bytes of replies pile up is dropped.
 *
 * @module
 */
import { dbrType, decodeDbr, formatValue, parseDbrType, parseValue, readCString } from "../common/ca/dbr.ts";
import {
  CA_MINOR,
  CaFrameError,
  type CaMessage,
  CaStreamSplitter,
  CMD,
  DO_REPLY,
  ECA,
  encodeDbrMessage,
  encodeMessage,
  stringPayload,
} from "../common/ca/messages.ts";
import type { Pv, PvDirectory, PvValues } from "./pv.ts";

const HIGH_WATER = 4 << 20;
/** A client that lets this much pile up (replies it does not read) is dropped. */
const MAX_QUEUED = 64 << 20;

/** The server's counters, by name (shared by its circuits). */
export type CaCounters = Record<string, number>;

interface Channel {
  cid: number;
  pv: Pv;
  /** each monitor's removal, by subscription id. */
  subs: Map<number, () => void>;
}

/** A protocol violation: answered with CA_PROTO_ERROR, then the circuit is closed. */
class Violation extends Error {
  constructor(readonly counter: string, readonly eca: number, message: string, readonly cid = 0xffffffff) {
    super(message);
  }
}

/** One client connection; see the module doc. */
export class CaCircuit {
  readonly #channels = new Map<number, Channel>();
  readonly #queue: Uint8Array[] = [];
  readonly #squashed = new Map<number, Uint8Array>();
  #queued = 0;
  #flushing = false;
  #paused = false;
  #closed = false;
  #nextSid = 1;
  #clientName = "";
  #hostName = "";

  constructor(
    readonly conn: Deno.Conn,
    readonly pvs: PvDirectory,
    readonly counters: CaCounters,
    readonly tcpPort: number,
    readonly maxPayload: number,
    readonly onDrop: (why: string) => void = () => {},
  ) {}

  /** Serves the client until it disconnects or breaks the protocol; never throws. */
  async run(): Promise<void> {
    const splitter = new CaStreamSplitter(this.maxPayload);
    const buffer = new Uint8Array(256 * 1024);
    this.#send(encodeMessage(CMD.VERSION, 0, CA_MINOR, 0, 0));
    try {
      for (;;) {
        const n = await this.conn.read(buffer);
        if (n === null || this.#closed) break;
        splitter.push(buffer.subarray(0, n), (m) => this.#handle(m));
      }
    } catch (error) {
      if (error instanceof Violation || error instanceof CaFrameError || error instanceof RangeError) {
        const v = error instanceof Violation ? error : new Violation("tcp.malformed", ECA.INTERNAL, error.message);
        this.counters[v.counter] = (this.counters[v.counter] ?? 0) + 1;
        this.counters["tcp.clientsDropped"]++;
        this.onDrop(`${this.#who()}: ${v.message}`);
        await this.#sendLast(encodeMessage(CMD.ERROR, 0, 0, v.cid, v.eca, stringPayload(`nxflow sim: ${v.message}`)));
      }
    } finally {
      this.close();
    }
  }

  /** Drops every monitor and closes the connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ch of this.#channels.values()) for (const stop of ch.subs.values()) stop();
    this.#channels.clear();
    try {
      this.conn.close();
    } catch { /* closed already */ }
  }

  /** The client as it named itself (CLIENT_NAME@HOST_NAME) and its address. */
  #who(): string {
    const a = this.conn.remoteAddr as Deno.NetAddr;
    return `${this.#clientName || "?"}@${this.#hostName || "?"} (${a.hostname}:${a.port})`;
  }

  #channel(m: CaMessage): Channel {
    const ch = this.#channels.get(m.p1);
    if (!ch) throw new Violation("tcp.badIds", ECA.BADCHID, `bad resource id ${m.p1} (command ${m.command})`);
    return ch;
  }

  #type(m: CaMessage, ch: Channel): { dbr: number; count: number } {
    if (!parseDbrType(m.dataType)) {
      throw new Violation("tcp.malformed", ECA.BADTYPE, `bad DBR type ${m.dataType}`, ch.cid);
    }
    if (m.count > ch.pv.maxCount) {
      throw new Violation("tcp.malformed", ECA.BADCOUNT, `count ${m.count} > ${ch.pv.maxCount}`, ch.cid);
    }
    return { dbr: m.dataType, count: m.count };
  }

  /** A reply or update carrying the PV's values as `dbr` (`requested` 0 = its current count). */
  #data(command: number, pv: Pv, dbr: number, requested: number, p1: number, p2: number): Uint8Array {
    const count = requested === 0 ? pv.count : requested;
    return encodeDbrMessage(command, dbr, count, p1, p2, pv.type, pv.values, pv.meta);
  }

  #handle(m: CaMessage): void {
    if (this.#closed) return; // dropped while the rest of its last read waited
    this.counters["tcp.messages"]++;
    switch (m.command) {
      case CMD.VERSION:
        return;
      case CMD.CLIENT_NAME:
        this.#clientName = readCString(m.payload, 0, m.payload.length);
        return;
      case CMD.HOST_NAME:
        this.#hostName = readCString(m.payload, 0, m.payload.length);
        return;
      case CMD.ECHO:
      case CMD.READ_SYNC:
        return this.#send(encodeMessage(m.command, m.dataType, m.count, m.p1, m.p2));
      case CMD.SEARCH:
        return this.#search(m);
      case CMD.CREATE_CHAN:
        return this.#create(m);
      case CMD.CLEAR_CHANNEL: {
        const ch = this.#channel(m);
        for (const stop of ch.subs.values()) stop();
        this.#channels.delete(m.p1);
        return this.#send(encodeMessage(CMD.CLEAR_CHANNEL, 0, 0, m.p1, ch.cid));
      }
      case CMD.READ:
      case CMD.READ_NOTIFY: {
        const ch = this.#channel(m);
        const { dbr, count } = this.#type(m, ch);
        this.counters["reads"]++;
        const p1 = m.command === CMD.READ ? m.p1 : ECA.NORMAL;
        return this.#send(this.#data(m.command, ch.pv, dbr, count, p1, m.p2));
      }
      case CMD.WRITE:
      case CMD.WRITE_NOTIFY:
        return this.#write(m);
      case CMD.EVENT_ADD:
        return this.#subscribe(m);
      case CMD.EVENT_CANCEL: {
        const ch = this.#channel(m);
        const stop = ch.subs.get(m.p2);
        if (!stop) throw new Violation("tcp.badIds", ECA.BADMONID, `bad monitor id ${m.p2}`, ch.cid);
        stop();
        ch.subs.delete(m.p2);
        this.#squashed.delete(m.p2);
        return this.#send(encodeMessage(CMD.EVENT_ADD, m.dataType, m.count, m.p1, m.p2));
      }
      case CMD.EVENTS_OFF:
        this.#paused = true;
        return;
      case CMD.EVENTS_ON:
        this.#paused = false;
        return this.#flushSoon();
      default:
        throw new Violation("tcp.unknownCommands", ECA.INTERNAL, `unknown command ${m.command}`);
    }
  }

  #search(m: CaMessage): void {
    const name = readCString(m.payload, 0, m.payload.length);
    if (this.pvs.get(name)) {
      this.#send(encodeMessage(CMD.SEARCH, this.tcpPort, 0, 0xffffffff, m.p2));
    } else if (m.dataType === DO_REPLY) {
      this.#send(encodeMessage(CMD.NOT_FOUND, m.dataType, m.count, m.p1, m.p2));
    }
  }

  #create(m: CaMessage): void {
    const name = readCString(m.payload, 0, m.payload.length);
    const pv = this.pvs.get(name);
    if (!pv) {
      this.counters["tcp.createFailed"]++;
      return this.#send(encodeMessage(CMD.CREATE_CH_FAIL, 0, 0, m.p1, 0));
    }
    const sid = this.#nextSid++;
    this.#channels.set(sid, { cid: m.p1, pv, subs: new Map() });
    this.#send(encodeMessage(CMD.ACCESS_RIGHTS, 0, 0, m.p1, pv.writable ? 3 : 1));
    const native = dbrType(pv.type, "plain");
    this.#send(encodeMessage(CMD.CREATE_CHAN, native, pv.maxCount, m.p1, sid));
  }

  #write(m: CaMessage): void {
    const ch = this.#channel(m);
    const { dbr } = this.#type(m, ch);
    const status = this.#put(ch.pv, dbr, m.count, m.payload);
    this.counters[status === ECA.NORMAL ? "writes" : "writeFailures"]++;
    if (m.command === CMD.WRITE_NOTIFY) {
      this.#send(encodeMessage(CMD.WRITE_NOTIFY, m.dataType, m.count, status, m.p2));
    } else if (status !== ECA.NORMAL) {
      const copy = encodeMessage(m.command, m.dataType, m.count, m.p1, m.p2);
      const text = stringPayload(`nxflow sim: put to ${ch.pv.name} failed`);
      this.#send(encodeMessage(CMD.ERROR, 0, 0, ch.cid, status, new Uint8Array([...copy, ...text])));
    }
  }

  #put(pv: Pv, dbr: number, count: number, payload: Uint8Array): number {
    if (!pv.writable) return ECA.NOWTACCESS;
    const d = decodeDbr(dbr, count, payload);
    let values: PvValues;
    if (pv.type === "string") {
      values = Array.from(d.values as ArrayLike<number | string>, (v) => formatValue(d.type, v, pv.meta));
    } else {
      const numbers = Array.from(
        d.values as ArrayLike<number | string>,
        (v) => typeof v === "string" ? parseValue(pv.type, v, pv.meta.enumStrings) : v,
      );
      if (numbers.some((x) => Number.isNaN(x))) return ECA.PUTFAIL;
      values = Float64Array.from(numbers);
    }
    return pv.onPut(values) ? ECA.NORMAL : ECA.PUTFAIL;
  }

  #subscribe(m: CaMessage): void {
    const ch = this.#channel(m);
    if (m.payload.length < 16) throw new Violation("tcp.malformed", ECA.INTERNAL, "EVENT_ADD without its 16 bytes");
    const { dbr, count } = this.#type(m, ch);
    ch.subs.get(m.p2)?.();
    const mask = new DataView(m.payload.buffer, m.payload.byteOffset).getUint16(12);
    const id = m.p2;
    const update = (pv: Pv) => this.#sendUpdate(id, this.#data(CMD.EVENT_ADD, pv, dbr, count, ECA.NORMAL, id));
    const stop = ch.pv.listen((pv, changed) => {
      if (changed & mask) update(pv);
    });
    ch.subs.set(id, stop);
    update(ch.pv);
  }

  #sendUpdate(id: number, bytes: Uint8Array): void {
    this.counters["monitor.updates"]++;
    if (this.#paused || this.#queued > HIGH_WATER) {
      if (this.#squashed.has(id)) this.counters["monitor.squashed"]++;
      this.#squashed.set(id, bytes);
      return;
    }
    this.#send(bytes);
  }

  #send(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (this.#queued > MAX_QUEUED) {
      this.counters["tcp.slowClients"]++;
      this.counters["tcp.clientsDropped"]++;
      this.onDrop(`${this.#who()}: more than ${MAX_QUEUED} bytes unread`);
      return this.close();
    }
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    this.#flushSoon();
  }

  #flushSoon(): void {
    if (this.#flushing || this.#closed) return;
    this.#flushing = true;
    queueMicrotask(() => this.#flush());
  }

  async #flush(): Promise<void> {
    try {
      for (;;) {
        if (!this.#paused && this.#squashed.size && this.#queued <= HIGH_WATER) {
          for (const bytes of this.#squashed.values()) this.#queue.push(bytes), this.#queued += bytes.length;
          this.#squashed.clear();
        }
        if (this.#queue.length === 0 || this.#closed) break;
        const parts = this.#queue.splice(0, this.#queue.length);
        const total = parts.reduce((n, p) => n + p.length, 0);
        const chunk = parts.length === 1 ? parts[0] : new Uint8Array(total);
        if (parts.length > 1) parts.reduce((at, p) => (chunk.set(p, at), at + p.length), 0);
        for (let at = 0; at < chunk.length;) at += await this.conn.write(chunk.subarray(at));
        this.#queued -= total;
      }
    } catch {
      this.close();
    } finally {
      this.#flushing = false;
    }
  }

  /** Queues `last` and waits (at most 1 s) for the queue to drain, before closing after a violation. */
  async #sendLast(last: Uint8Array): Promise<void> {
    this.#send(last);
    for (let waited = 0; (this.#flushing || this.#queue.length) && waited < 1000; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
