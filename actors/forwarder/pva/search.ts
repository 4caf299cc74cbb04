/**
 * pvAccess name resolution (reference `epics-protocols.md` §2.5): unicast UDP SEARCH to each address of the
 * address list (never a broadcast unless the list names one), re-sent with back-off until answered, batched into
 * datagrams of at most ~1,400 bytes. Replies are de-duplicated by channel id; broken datagrams are counted. The
 * socket, address list and back-off are shared with Channel Access (`../udp_search.ts`).
 *
 * @module
 */
import { decodeSearchResponse, searchMessage } from "./messages.ts";
import {
  type DueSearch,
  parseAddrList as parseList,
  type SearchAnswer,
  type SearchCodec,
  type SearchTarget,
  UdpSearcher,
} from "../udp_search.ts";

export type { SearchTarget };

/** Parses `EPICS_PVA_ADDR_LIST`-style text: space/comma separated `host[:port]`. @throws {TypeError} */
export function parseAddrList(text: string, defaultPort: number): SearchTarget[] {
  return parseList(text, defaultPort, "PVA");
}

/** Back-off of re-sent searches. */
export interface SearchTiming {
  /** first re-send after this long. @default 250 */
  firstMs?: number;
  /** longest gap between searches. @default 5000 */
  maxMs?: number;
}

/** The PVA datagrams: SEARCH messages of at most ~1,400 bytes of names; replies as `SearchAnswer`s. */
class PvaSearchCodec implements SearchCodec<SearchAnswer> {
  readonly label = "PVA";
  private sequence = 1;

  encode(due: DueSearch[], replyPort: number): Uint8Array[] {
    const datagrams: Uint8Array[] = [];
    for (let i = 0; i < due.length;) {
      const batch: DueSearch[] = [];
      let bytes = 0;
      while (i < due.length && (batch.length === 0 || bytes + due[i].name.length + 5 < 1400)) {
        bytes += due[i].name.length + 5;
        batch.push(due[i++]);
      }
      datagrams.push(searchMessage(this.sequence++, replyPort, batch));
    }
    return datagrams;
  }

  decode(datagram: Uint8Array, from: Deno.NetAddr): SearchAnswer[] | null {
    try {
      const reply = decodeSearchResponse(datagram);
      if (!reply) return [];
      return reply.ids.map((id) => ({ id, host: reply.host ?? from.hostname, port: reply.port }));
    } catch {
      return null;
    }
  }
}

/** Searches names; calls `onFound(name, host, port)` once per search. */
export class PvaSearcher extends UdpSearcher<SearchAnswer> {
  constructor(
    targets: SearchTarget[],
    onFound: (name: string, host: string, port: number) => void,
    timing: Required<SearchTiming> = { firstMs: 250, maxMs: 5000 },
    log: (message: string) => void = () => {},
  ) {
    super(new PvaSearchCodec(), targets, (name, a) => onFound(name, a.host, a.port), timing, log);
  }
}
