/**
 * Channel Access name resolution (`epics-protocols.md` §1.5): UDP SEARCH (DONT_REPLY) to each address of the
 * `EPICS_CA_ADDR_LIST`-style list (no automatic broadcast, as `EPICS_CA_AUTO_ADDR_LIST=NO`), a VERSION with a sequence number
 * first in each datagram of at most 1,024 bytes, re-sent with back-off until a server answers. The first answer wins;
 * broken datagrams are counted. Beacons and the repeater are not used: searches are retried until answered.
 *
 * @module
 */
import { CA_MINOR, CMD, encodeMessage, stringPayload } from "../../common/ca/messages.ts";
import { CaProtocolError, decodeSearchReplies } from "./decode.ts";

/** A search destination. */
export interface CaSearchTarget {
  host: string;
  port: number;
}

/** Parses `EPICS_CA_ADDR_LIST`-style text: space (or comma) separated `host[:port]`. @throws {TypeError} */
export function parseCaAddrList(text: string, defaultPort: number): CaSearchTarget[] {
  return text.split(/[\s,]+/).filter((s) => s).map((entry) => {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(entry);
    const port = m?.[2] ? Number(m[2]) : defaultPort;
    if (!m || !(port >= 1 && port <= 65535)) throw new TypeError(`Cannot use CA address "${entry}": host[:port]`);
    return { host: m[1], port };
  });
}

/** Back-off of re-sent searches. */
export interface CaSearchTiming {
  /** first re-send after this long. @default 100 */
  firstMs?: number;
  /** longest gap between searches of a name. @default 5000 */
  maxMs?: number;
}

interface Pending {
  id: number;
  name: string;
  /** when to search next, ms (performance.now). */
  next: number;
  delayMs: number;
}

/** The largest search datagram (libca's). */
const DATAGRAM_BYTES = 1024;
/** DONT_REPLY: servers that do not host a name stay silent. */
const DONT_REPLY = 5;

/** Searches names; calls `onFound(name, host, port, minor)` once per search, for the first answer. */
export class CaSearcher {
  private socket: Deno.DatagramConn;
  private pending = new Map<number, Pending>();
  private byName = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;
  private sequence = 1;
  private closed = false;
  private timing: Required<CaSearchTiming>;
  /** targets whose last search could not be sent (logged once until a send works again). */
  private failing = new Set<CaSearchTarget>();
  /** datagrams that could not be decoded. */
  badDatagrams = 0;

  constructor(
    private targets: CaSearchTarget[],
    private onFound: (name: string, host: string, port: number, minor: number) => void,
    timing: CaSearchTiming = {},
    private log: (message: string) => void = () => {},
  ) {
    this.timing = { firstMs: timing.firstMs ?? 100, maxMs: timing.maxMs ?? 5000 };
    this.socket = Deno.listenDatagram({ hostname: "0.0.0.0", port: 0, transport: "udp" });
    this.receive();
  }

  /** Starts searching `name` (again, from the shortest back-off), first after `afterMs`. */
  search(name: string, afterMs = 0): void {
    this.cancel(name);
    const id = this.nextId++;
    this.pending.set(id, { id, name, next: performance.now() + afterMs, delayMs: this.timing.firstMs });
    this.byName.set(name, id);
    this.timer ??= setInterval(() => this.flush(), 50);
  }

  /** Stops searching `name`. */
  cancel(name: string): void {
    const id = this.byName.get(name);
    if (id === undefined) return;
    this.byName.delete(name);
    this.pending.delete(id);
  }

  /** Closes the socket. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.socket.close();
  }

  private flush(): void {
    if (this.pending.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const now = performance.now();
    const due: Pending[] = [];
    for (const p of this.pending.values()) {
      if (p.next > now) continue;
      due.push(p);
      p.next = now + p.delayMs;
      p.delayMs = Math.min(p.delayMs * 2, this.timing.maxMs);
    }
    for (let i = 0; i < due.length;) {
      const parts = [encodeMessage(CMD.VERSION, 1, CA_MINOR, this.sequence++, 0)];
      let bytes = 16;
      while (i < due.length) {
        const search = encodeMessage(
          CMD.SEARCH,
          DONT_REPLY,
          CA_MINOR,
          due[i].id,
          due[i].id,
          stringPayload(due[i].name),
        );
        if (parts.length > 1 && bytes + search.length > DATAGRAM_BYTES) break;
        parts.push(search);
        bytes += search.length;
        i++;
      }
      const datagram = new Uint8Array(bytes);
      parts.reduce((at, p) => (datagram.set(p, at), at + p.length), 0);
      for (const t of this.targets) this.sendTo(t, datagram);
    }
  }

  private sendTo(t: CaSearchTarget, datagram: Uint8Array): void {
    this.socket.send(datagram, { transport: "udp", hostname: t.host, port: t.port }).then(
      () => this.failing.delete(t),
      (error) => {
        if (!this.closed && !this.failing.has(t)) this.log(`CA search to ${t.host}:${t.port} failed: ${error}`);
        this.failing.add(t);
      },
    );
  }

  private async receive(): Promise<void> {
    while (!this.closed) {
      let datagram: Uint8Array, from: Deno.NetAddr;
      try {
        const [d, addr] = await this.socket.receive();
        datagram = d;
        from = addr as Deno.NetAddr;
      } catch {
        if (this.closed) return;
        continue;
      }
      try {
        for (const reply of decodeSearchReplies(datagram)) {
          const p = this.pending.get(reply.id);
          if (!p) continue; // answered before, or not ours
          this.cancel(p.name);
          this.onFound(p.name, reply.host ?? from.hostname, reply.port || from.port, reply.minor);
        }
      } catch (error) {
        if (!(error instanceof CaProtocolError)) throw error;
        this.badDatagrams++;
      }
    }
  }
}
