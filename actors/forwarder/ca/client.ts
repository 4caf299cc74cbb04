/**
 * The forwarder's Channel Access client, in TypeScript on the CA codec the sim's server uses (`actors/common/ca/`):
 * monitors PVs by name, whenever they appear, over one circuit per server. Names are searched (`search.ts`); a found
 * name joins its server's circuit (`circuit.ts`), which creates the channel and monitors `DBR_TIME_<native>`. A lost
 * circuit (IOC restart, protocol error, unanswered ECHO) or channel reports the PV disconnected and searches it again.
 * No native library, no child process: it runs in the monitor group's own Worker, and a server's bad frames cost
 * that server's circuit, never the group.
 *
 * @module
 */
import type { CaUpdate } from "../../../protocols/forwarder.ts";
import { CaCircuit, type CircuitOptions } from "./circuit.ts";
import type { CaChannelInfo } from "./decode.ts";
import { CaSearcher, type CaSearchTiming, parseCaAddrList } from "./search.ts";

/** Where and how to look for PVs. */
export interface CaEnvironment {
  /** `EPICS_CA_ADDR_LIST`: space separated `host[:port]` to search (no automatic broadcast). */
  addrList: string;
  /** `EPICS_CA_SERVER_PORT`: the search port of addresses without one. @default 5064 */
  serverPort?: number;
  /** circuit limits and timing. */
  circuit?: Omit<CircuitOptions, "log">;
  search?: CaSearchTiming;
}

/** What a monitored PV reports. */
export interface CaHandlers {
  onConnection(connected: boolean): void;
  onUpdate(update: CaUpdate): void;
  /** an update that cannot be forwarded (the server marked it failed, or reported an error); the channel stays. */
  onError(message: string): void;
}

/** A monitored PV. */
export interface CaMonitor {
  readonly pv: string;
  /** units, precision, limits and enum states, read once per connection (null until read). */
  readonly info: CaChannelInfo | null;
  close(): void;
}

/** Counters of a client. */
export interface CaClientStats {
  /** circuits closed because their server broke the protocol. */
  protocolErrors: number;
  /** search replies that could not be decoded. */
  badDatagrams: number;
}

interface Watched {
  handlers: CaHandlers;
  circuit: CaCircuit | null;
  cid: number;
  connected: boolean;
  info: CaChannelInfo | null;
}

/** How long a channel waits before searching again after its server refused it or could not be reached. */
const RETRY_MS = 1000;

/** A Channel Access monitoring client. */
export class CaClient {
  private searcher: CaSearcher;
  private watched = new Map<string, Watched>();
  private circuits = new Map<string, Promise<CaCircuit | null>>();
  private closed = false;
  private paused = false;
  private protocolErrors = 0;

  /** @throws {TypeError} for a malformed address list. */
  constructor(private env: CaEnvironment, private log: (message: string) => void = () => {}) {
    const targets = parseCaAddrList(env.addrList, env.serverPort ?? 5064);
    this.searcher = new CaSearcher(targets, (n, h, p, minor) => this.found(n, h, p, minor), env.search, log);
  }

  /** Monitors `pv` (now or whenever it appears). */
  monitor(pv: string, handlers: CaHandlers): CaMonitor {
    this.stop(pv);
    const w: Watched = { handlers, circuit: null, cid: 0, connected: false, info: null };
    this.watched.set(pv, w);
    this.searcher.search(pv);
    return {
      pv,
      get info() {
        return w.info;
      },
      close: () => {
        if (this.watched.get(pv) === w) this.stop(pv);
      },
    };
  }

  /**
   * Holds back (true) or releases (false) the monitor updates of every circuit (EVENTS_OFF/ON): while held, servers
   * keep only each PV's newest update.
   */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    for (const c of this.circuits.values()) c.then((circuit) => circuit?.setPaused(paused));
  }

  /** Counters so far. */
  stats(): CaClientStats {
    return { protocolErrors: this.protocolErrors, badDatagrams: this.searcher.badDatagrams };
  }

  /** Stops everything. */
  close(): void {
    this.closed = true;
    this.searcher.close();
    for (const c of this.circuits.values()) c.then((circuit) => circuit?.close("client closed"));
    this.watched.clear();
  }

  private stop(pv: string): void {
    const w = this.watched.get(pv);
    if (!w) return;
    this.watched.delete(pv);
    this.searcher.cancel(pv);
    if (!w.circuit) return;
    w.circuit.remove(w.cid);
    if (w.circuit.size === 0) w.circuit.close("no channels left");
  }

  private found(pv: string, host: string, port: number, minor: number): void {
    const w = this.watched.get(pv);
    if (!w || w.circuit || this.closed) return;
    this.circuit(host, port, minor).then((circuit) => {
      if (this.watched.get(pv) !== w || w.circuit) return;
      if (!circuit || circuit.isClosed) return this.searcher.search(pv, RETRY_MS);
      w.circuit = circuit;
      w.cid = circuit.add(pv, {
        onConnected: () => {
          w.connected = true;
          w.handlers.onConnection(true);
        },
        onInfo: (info) => w.info = info,
        onUpdate: (update) => w.handlers.onUpdate(update),
        onError: (message) => w.handlers.onError(message),
        onLost: () => this.lost(pv, w, RETRY_MS),
      });
    });
  }

  private circuit(host: string, port: number, minor: number): Promise<CaCircuit | null> {
    const key = `${host}:${port}`;
    const known = this.circuits.get(key);
    if (known) return known;
    const opening = CaCircuit.open(host, port, minor, { ...this.env.circuit, log: this.log }).then((circuit) => {
      circuit.closed.then((reason) => this.dropped(key, circuit, reason));
      circuit.setPaused(this.paused);
      return circuit;
    }, (error) => {
      this.circuits.delete(key);
      this.log(`cannot connect to the CA server ${key}: ${error}`);
      return null;
    });
    this.circuits.set(key, opening);
    return opening;
  }

  private dropped(key: string, circuit: CaCircuit, reason: string): void {
    this.circuits.delete(key);
    const broken = reason.startsWith("protocol error");
    if (broken) this.protocolErrors++;
    if (this.closed) return;
    if (reason !== "no channels left") this.log(`CA circuit to ${key} closed: ${reason}`);
    for (const [pv, w] of this.watched) if (w.circuit === circuit) this.lost(pv, w, broken ? RETRY_MS : 0);
  }

  private lost(pv: string, w: Watched, afterMs: number): void {
    if (this.watched.get(pv) !== w) return;
    w.circuit = null;
    w.info = null;
    if (w.connected) {
      w.connected = false;
      w.handlers.onConnection(false);
    }
    if (!this.closed) this.searcher.search(pv, afterMs);
  }
}
