/**
 * The forwarder's pvAccess client: monitors PVs by name, whenever they appear, over one TCP connection per server.
 * Names are searched (`search.ts`); a found name joins its server's connection (`connection.ts`), which creates the
 * channel and a pipelined MONITOR; each update is converted from its normative type (`normative.ts`). A lost
 * connection (server restart, protocol error, inactivity) or channel reports the PV disconnected and searches it
 * again. Pure TypeScript: no native library, runs in the monitor group's own Worker.
 *
 * @module
 */
import type { PvaUpdate } from "../../../protocols/forwarder.ts";
import { type ConnectionOptions, PvaConnection } from "./connection.ts";
import { toUpdate, UnsupportedTypeError } from "./normative.ts";
import type { PvStructure } from "./types.ts";
import { parseAddrList, PvaSearcher, type SearchTiming } from "./search.ts";

/** Where and how to look for PVs. */
export interface PvaEnvironment {
  /** `EPICS_PVA_ADDR_LIST`: space/comma separated `host[:port]` to search (broadcast addresses only if listed). */
  addrList: string;
  /** `EPICS_PVA_BROADCAST_PORT`, the default search port. @default 5076 */
  broadcastPort?: number;
  /** connection timing and the monitor window. */
  connection?: ConnectionOptions;
  search?: SearchTiming;
}

/** What a monitored PV reports. */
export interface PvaHandlers {
  onConnection(connected: boolean): void;
  onUpdate(update: PvaUpdate): void;
  /** an update that cannot be forwarded (unsupported type); the channel stays up. */
  onError(message: string): void;
}

interface Watched {
  handlers: PvaHandlers;
  conn: PvaConnection | null;
  cid: number;
  connected: boolean;
  /** `display.units` as first seen (requested once with the monitor; f144 has no units field). */
  units: string | null;
}

/** Counters of a client. */
export interface PvaClientStats {
  protocolErrors: number;
  badDatagrams: number;
  unsupported: number;
}

/** A pvAccess monitoring client. */
export class PvaClient {
  private searcher: PvaSearcher;
  private watched = new Map<string, Watched>();
  private connections = new Map<string, Promise<PvaConnection | null>>();
  private closed = false;
  private paused = false;
  private counts = { protocolErrors: 0, unsupported: 0 };

  /** @throws {TypeError} for a malformed address list. */
  constructor(private env: PvaEnvironment, private log: (message: string) => void = () => {}) {
    const targets = parseAddrList(env.addrList, env.broadcastPort ?? 5076);
    this.searcher = new PvaSearcher(targets, (name, host, port) => this.found(name, host, port), {
      firstMs: env.search?.firstMs ?? 250,
      maxMs: env.search?.maxMs ?? 5000,
    }, log);
  }

  /** Monitors `pv` (now or whenever it appears). */
  monitor(pv: string, handlers: PvaHandlers): { close(): void } {
    this.stop(pv);
    this.watched.set(pv, { handlers, conn: null, cid: 0, connected: false, units: null });
    this.searcher.search(pv);
    return { close: () => this.stop(pv) };
  }

  /**
   * Holds back (true) or releases (false) the monitors' flow-control acks on every connection: while held, each server
   * sends at most its window (32 updates per PV) and merges further changes on its side.
   */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    for (const c of this.connections.values()) c.then((conn) => conn?.setPaused(paused));
  }

  /** Counters so far. */
  stats(): PvaClientStats {
    return { ...this.counts, badDatagrams: this.searcher.badDatagrams };
  }

  /** Stops everything. */
  close(): void {
    this.closed = true;
    this.searcher.close();
    for (const c of this.connections.values()) c.then((conn) => conn?.close("client closed"));
    this.watched.clear();
  }

  private stop(pv: string): void {
    const w = this.watched.get(pv);
    if (!w) return;
    this.watched.delete(pv);
    this.searcher.cancel(pv);
    if (!w.conn) return;
    w.conn.remove(w.cid);
    if (w.conn.size === 0) w.conn.close("no channels left");
  }

  private found(pv: string, host: string, port: number): void {
    const w = this.watched.get(pv);
    if (!w || w.conn || this.closed) return;
    this.connection(host, port).then((conn) => {
      if (this.watched.get(pv) !== w || w.conn) return;
      if (!conn) return this.searcher.search(pv);
      w.conn = conn;
      w.cid = conn.add(pv, {
        onUpdate: (value, type) => {
          if (!w.connected) {
            w.connected = true;
            w.handlers.onConnection(true);
          }
          this.checkUnits(pv, w, value);
          try {
            w.handlers.onUpdate(toUpdate(pv, type, value));
          } catch (error) {
            this.counts.unsupported++;
            const why = error instanceof UnsupportedTypeError ? error.message : `${pv}: cannot convert: ${error}`;
            w.handlers.onError(why);
          }
        },
        onLost: (reason) => this.lost(pv, w, reason),
      });
    });
  }

  /** Logs a change of `display.units` (not forwarded, as in ESS's forwarder). */
  private checkUnits(pv: string, w: Watched, value: PvStructure): void {
    const units = (value.display as PvStructure | undefined)?.units;
    if (typeof units !== "string" || units === w.units) return;
    if (w.units !== null) this.log(`display units of ${pv} changed from "${w.units}" to "${units}" (not forwarded)`);
    w.units = units;
  }

  private connection(host: string, port: number): Promise<PvaConnection | null> {
    const key = `${host}:${port}`;
    const known = this.connections.get(key);
    if (known) return known;
    const opening = PvaConnection.open(host, port, this.env.connection).then((conn) => {
      conn.closed.then((reason) => this.dropped(key, conn, reason));
      conn.setPaused(this.paused);
      return conn;
    }, (error) => {
      this.connections.delete(key);
      this.log(`cannot connect to the PVA server ${key}: ${error}`);
      return null;
    });
    this.connections.set(key, opening);
    return opening;
  }

  private dropped(key: string, conn: PvaConnection, reason: string): void {
    this.connections.delete(key);
    if (reason.startsWith("protocol error")) this.counts.protocolErrors++;
    if (this.closed) return;
    this.log(`PVA connection to ${key} closed: ${reason}`);
    for (const [pv, w] of this.watched) if (w.conn === conn) this.lost(pv, w, reason);
  }

  private lost(pv: string, w: Watched, _reason: string): void {
    if (this.watched.get(pv) !== w) return;
    w.conn = null;
    if (w.connected) {
      w.connected = false;
      w.handlers.onConnection(false);
    }
    if (!this.closed) this.searcher.search(pv);
  }
}
