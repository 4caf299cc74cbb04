/**
 * pvAccess name resolution (reference `epics-protocols.md` §2.5): unicast UDP SEARCH to each address of the
 * address list (never a broadcast unless the list names one), re-sent with back-off until answered, batched into
 * datagrams of at most ~1,400 bytes. Replies are de-duplicated by channel id; broken datagrams are counted.
 *
 * @module
 */
import { decodeSearchResponse, searchMessage } from "./messages.ts";

/** A search destination. */
export interface SearchTarget {
  host: string;
  port: number;
}

/** Parses `EPICS_PVA_ADDR_LIST`-style text: space/comma separated `host[:port]`. @throws {TypeError} */
export function parseAddrList(text: string, defaultPort: number): SearchTarget[] {
  return text.split(/[\s,]+/).filter((s) => s).map((entry) => {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(entry);
    const port = m?.[2] ? Number(m[2]) : defaultPort;
    if (!m || !(port >= 1 && port <= 65535)) throw new TypeError(`Cannot use PVA address "${entry}": host[:port]`);
    return { host: m[1], port };
  });
}

interface Pending {
  id: number;
  name: string;
  /** when to search next, ms (performance.now). */
  next: number;
  delayMs: number;
}

/** Back-off of re-sent searches. */
export interface SearchTiming {
  /** first re-send after this long. @default 250 */
  firstMs?: number;
  /** longest gap between searches. @default 5000 */
  maxMs?: number;
}

/** Searches names; calls `onFound(name, host, port)` once per search. */
export class PvaSearcher {
  private socket: Deno.DatagramConn;
  private pending = new Map<number, Pending>();
  private byName = new Map<string, number>();
  private timer: ReturnType<typeof setInterval>;
  private nextId = 1;
  private sequence = 1;
  private closed = false;
  /** targets whose last search could not be sent (logged once until a send works again). */
  private failing = new Set<SearchTarget>();
  /** datagrams that could not be decoded. */
  badDatagrams = 0;

  constructor(
    private targets: SearchTarget[],
    private onFound: (name: string, host: string, port: number) => void,
    private timing: Required<SearchTiming> = { firstMs: 250, maxMs: 5000 },
    private log: (message: string) => void = () => {},
  ) {
    this.socket = Deno.listenDatagram({ hostname: "0.0.0.0", port: 0, transport: "udp" });
    this.timer = setInterval(() => this.flush(), 50);
    this.receive();
  }

  /** Starts searching `name` (again, from the shortest back-off). */
  search(name: string): void {
    this.cancel(name);
    const id = this.nextId++;
    this.pending.set(id, { id, name, next: 0, delayMs: this.timing.firstMs });
    this.byName.set(name, id);
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
    const now = performance.now();
    const due: Pending[] = [];
    for (const p of this.pending.values()) {
      if (p.next > now) continue;
      due.push(p);
      p.next = now + p.delayMs;
      p.delayMs = Math.min(p.delayMs * 2, this.timing.maxMs);
    }
    const port = (this.socket.addr as Deno.NetAddr).port;
    for (let i = 0; i < due.length;) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (i < due.length && (batch.length === 0 || bytes + due[i].name.length + 5 < 1400)) {
        bytes += due[i].name.length + 5;
        batch.push(due[i++]);
      }
      const datagram = searchMessage(this.sequence++, port, batch);
      for (const t of this.targets) {
        this.socket.send(datagram, { transport: "udp", hostname: t.host, port: t.port }).then(
          () => this.failing.delete(t),
          (error) => {
            if (!this.closed && !this.failing.has(t)) this.log(`PVA search to ${t.host}:${t.port} failed: ${error}`);
            this.failing.add(t);
          },
        );
      }
    }
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
        const reply = decodeSearchResponse(datagram);
        if (!reply) continue;
        for (const id of reply.ids) {
          const p = this.pending.get(id);
          if (!p) continue; // answered before, or not ours
          this.cancel(p.name);
          this.onFound(p.name, reply.host ?? from.hostname, reply.port);
        }
      } catch {
        this.badDatagrams++;
      }
    }
  }
}
