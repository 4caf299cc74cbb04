/**
 * The UDP side of EPICS name resolution that Channel Access (`ca/search.ts`) and pvAccess (`pva/search.ts`) share:
 * the `host[:port]` address list, the table of names being searched with their back-off, one UDP socket that sends
 * each batch to every target (a failing target logged once until a send to it works again) and a receive loop that
 * hands each datagram to the protocol. What a datagram holds is the protocol's business (`SearchCodec`).
 *
 * @module
 */

/** A search destination. */
export interface SearchTarget {
  host: string;
  port: number;
}

/**
 * Parses `EPICS_<protocol>_ADDR_LIST`-style text: space or comma separated `host[:port]`, `defaultPort` where none
 * is given. `protocol` names the list in the error. @throws {TypeError} for a malformed entry.
 */
export function parseAddrList(text: string, defaultPort: number, protocol: string): SearchTarget[] {
  return text.split(/[\s,]+/).filter((s) => s).map((entry) => {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(entry);
    const port = m?.[2] ? Number(m[2]) : defaultPort;
    if (!m || !(port >= 1 && port <= 65535)) {
      throw new TypeError(`Cannot use ${protocol} address "${entry}": host[:port]`);
    }
    return { host: m[1], port };
  });
}

/** Back-off of re-sent searches: the first re-send after `firstMs`, doubling up to `maxMs` between searches. */
export interface SearchBackoff {
  firstMs: number;
  maxMs: number;
}

/** A name due to be searched, with the id its answers carry. */
export interface DueSearch {
  readonly id: number;
  readonly name: string;
}

/** A server's answer to the search with id `id`: the name is at `host:port`. */
export interface SearchAnswer {
  id: number;
  host: string;
  port: number;
}

/** A protocol's part of a search. */
export interface SearchCodec<A extends SearchAnswer> {
  /** the protocol in log lines ("CA", "PVA"). */
  readonly label: string;
  /** The datagrams that search `due` (never empty), in order, for answers to `replyPort`. */
  encode(due: DueSearch[], replyPort: number): Uint8Array[];
  /** The answers in a datagram from `from`, or null for a broken datagram (counted). */
  decode(datagram: Uint8Array, from: Deno.NetAddr): A[] | null;
}

interface Pending extends DueSearch {
  /** when to search next, ms (performance.now). */
  next: number;
  delayMs: number;
}

/** Searches names over UDP; calls `onFound(name, answer)` once per search, for the first answer. */
export class UdpSearcher<A extends SearchAnswer> {
  private socket: Deno.DatagramConn;
  private pending = new Map<number, Pending>();
  private byName = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;
  private closed = false;
  /** targets whose last search could not be sent (logged once until a send works again). */
  private failing = new Set<SearchTarget>();
  /** datagrams that could not be decoded. */
  badDatagrams = 0;

  constructor(
    private codec: SearchCodec<A>,
    private targets: SearchTarget[],
    private onFound: (name: string, answer: A) => void,
    private timing: SearchBackoff,
    private log: (message: string) => void,
  ) {
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
    if (due.length === 0) return;
    const replyPort = (this.socket.addr as Deno.NetAddr).port;
    for (const datagram of this.codec.encode(due, replyPort)) {
      for (const t of this.targets) this.sendTo(t, datagram);
    }
  }

  private sendTo(t: SearchTarget, datagram: Uint8Array): void {
    this.socket.send(datagram, { transport: "udp", hostname: t.host, port: t.port }).then(
      () => this.failing.delete(t),
      (error) => {
        if (!this.closed && !this.failing.has(t)) {
          this.log(`${this.codec.label} search to ${t.host}:${t.port} failed: ${error}`);
        }
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
      const answers = this.codec.decode(datagram, from);
      if (!answers) this.badDatagrams++;
      for (const answer of answers ?? []) {
        const p = this.pending.get(answer.id);
        if (!p) continue; // answered before, or not ours
        this.cancel(p.name);
        this.onFound(p.name, answer);
      }
    }
  }
}
