/**
 * Channel Access name resolution (`epics-protocols.md` §1.5): UDP SEARCH (DONT_REPLY) to each address of the
 * `EPICS_CA_ADDR_LIST`-style list (no automatic broadcast, as `EPICS_CA_AUTO_ADDR_LIST=NO`), a VERSION with a sequence number
 * first in each datagram of at most 1,024 bytes, re-sent with back-off until a server answers. The first answer wins;
 * broken datagrams are counted. Beacons and the repeater are not used: searches are retried until answered. The
 * socket, address list and back-off are shared with pvAccess (`../udp_search.ts`).
 *
 * @module
 */
import { CA_MINOR, CMD, encodeMessage, stringPayload } from "../../common/ca/messages.ts";
import { CaProtocolError, decodeSearchReplies } from "./decode.ts";
import {
  type DueSearch,
  parseAddrList,
  type SearchAnswer,
  type SearchCodec,
  type SearchTarget,
  UdpSearcher,
} from "../udp_search.ts";

/** A search destination. */
export type CaSearchTarget = SearchTarget;

/** Parses `EPICS_CA_ADDR_LIST`-style text: space (or comma) separated `host[:port]`. @throws {TypeError} */
export function parseCaAddrList(text: string, defaultPort: number): CaSearchTarget[] {
  return parseAddrList(text, defaultPort, "CA");
}

/** Back-off of re-sent searches. */
export interface CaSearchTiming {
  /** first re-send after this long. @default 100 */
  firstMs?: number;
  /** longest gap between searches of a name. @default 5000 */
  maxMs?: number;
}

/** The largest search datagram (libca's). */
const DATAGRAM_BYTES = 1024;
/** DONT_REPLY: servers that do not host a name stay silent. */
const DONT_REPLY = 5;

/** An answer, with the server's CA minor version. */
interface CaAnswer extends SearchAnswer {
  minor: number;
}

/** The CA datagrams: VERSION then SEARCHes, at most `DATAGRAM_BYTES` each; replies as `CaAnswer`s. */
class CaSearchCodec implements SearchCodec<CaAnswer> {
  readonly label = "CA";
  private sequence = 1;

  encode(due: DueSearch[]): Uint8Array[] {
    const datagrams: Uint8Array[] = [];
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
      datagrams.push(datagram);
    }
    return datagrams;
  }

  decode(datagram: Uint8Array, from: Deno.NetAddr): CaAnswer[] | null {
    try {
      return decodeSearchReplies(datagram).map((reply) => ({
        id: reply.id,
        host: reply.host ?? from.hostname,
        port: reply.port || from.port,
        minor: reply.minor,
      }));
    } catch (error) {
      if (!(error instanceof CaProtocolError)) throw error;
      return null;
    }
  }
}

/** Searches names; calls `onFound(name, host, port, minor)` once per search, for the first answer. */
export class CaSearcher extends UdpSearcher<CaAnswer> {
  constructor(
    targets: CaSearchTarget[],
    onFound: (name: string, host: string, port: number, minor: number) => void,
    timing: CaSearchTiming = {},
    log: (message: string) => void = () => {},
  ) {
    super(
      new CaSearchCodec(),
      targets,
      (name, a) => onFound(name, a.host, a.port, a.minor),
      { firstMs: timing.firstMs ?? 100, maxMs: timing.maxMs ?? 5000 },
      log,
    );
  }
}
