/**
 * A minimal CA client for the sim's tests, on the shared codec (`actors/common/ca/`): one TCP circuit, create
 * channel, read-notify and monitors. Enough to watch the server from Deno while fuzzing or crashing it.
 */
import { decodeDbr, type DecodedDbr } from "../../actors/common/ca/dbr.ts";
import {
  CA_MINOR,
  type CaMessage,
  CaStreamSplitter,
  CMD,
  ECA,
  encodeMessage,
  stringPayload,
} from "../../actors/common/ca/messages.ts";

/** A connected circuit. */
export class RawCaClient {
  readonly #waiting = new Map<string, (m: CaMessage) => void>();
  readonly #monitors = new Map<number, (d: DecodedDbr) => void>();
  #nextId = 1;
  closed: Promise<void>;

  private constructor(readonly conn: Deno.Conn) {
    this.closed = this.#read();
  }

  /** Connects to a CA server on 127.0.0.1:`port` and sends VERSION, CLIENT_NAME and HOST_NAME. */
  static async connect(port: number): Promise<RawCaClient> {
    const client = new RawCaClient(await Deno.connect({ hostname: "127.0.0.1", port }));
    await client.send(encodeMessage(CMD.VERSION, 0, CA_MINOR, 0, 0));
    await client.send(encodeMessage(CMD.CLIENT_NAME, 0, 0, 0, 0, stringPayload("raw")));
    await client.send(encodeMessage(CMD.HOST_NAME, 0, 0, 0, 0, stringPayload("localhost")));
    return client;
  }

  async #read(): Promise<void> {
    const splitter = new CaStreamSplitter(1 << 24);
    const buffer = new Uint8Array(1 << 16);
    try {
      for (;;) {
        const n = await this.conn.read(buffer);
        if (n === null) return;
        splitter.push(buffer.subarray(0, n), (m) => {
          const copy = { ...m, payload: m.payload.slice() };
          if (m.command === CMD.EVENT_ADD && m.p1 === ECA.NORMAL) {
            this.#monitors.get(m.p2)?.(decodeDbr(m.dataType, m.count, copy.payload));
          }
          const key = `${m.command}:${m.command === CMD.CREATE_CHAN ? m.p1 : m.p2}`;
          this.#waiting.get(key)?.(copy);
          this.#waiting.delete(key);
        });
      }
    } catch {
      // reset by the server
    }
  }

  /** Writes raw bytes. */
  async send(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
  }

  #reply(command: number, id: number, timeoutMs = 5000): Promise<CaMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply ${command} for ${id}`)), timeoutMs);
      this.#waiting.set(`${command}:${id}`, (m) => (clearTimeout(timer), resolve(m)));
    });
  }

  /** Creates a channel; resolves with its SID, native type and count. */
  async create(name: string): Promise<{ sid: number; type: number; count: number }> {
    const cid = this.#nextId++;
    const reply = this.#reply(CMD.CREATE_CHAN, cid);
    await this.send(encodeMessage(CMD.CREATE_CHAN, 0, 0, cid, CA_MINOR, stringPayload(name)));
    const m = await reply;
    return { sid: m.p2, type: m.dataType, count: m.count };
  }

  /** Reads a channel as DBR type `dbr`. */
  async read(sid: number, dbr: number): Promise<DecodedDbr> {
    const ioid = this.#nextId++;
    const reply = this.#reply(CMD.READ_NOTIFY, ioid);
    await this.send(encodeMessage(CMD.READ_NOTIFY, dbr, 0, sid, ioid));
    const m = await reply;
    return decodeDbr(m.dataType, m.count, m.payload);
  }

  /** Writes `payload` (a DBR of type `dbr`, `count` elements) with WRITE_NOTIFY; resolves with the ECA status. */
  async writeNotify(sid: number, dbr: number, count: number, payload: Uint8Array): Promise<number> {
    const ioid = this.#nextId++;
    const reply = this.#reply(CMD.WRITE_NOTIFY, ioid);
    await this.send(encodeMessage(CMD.WRITE_NOTIFY, dbr, count, sid, ioid, payload));
    return (await reply).p1;
  }

  /** Subscribes with mask VALUE|ALARM; `each` gets every update. */
  async monitor(sid: number, dbr: number, each: (d: DecodedDbr) => void): Promise<void> {
    const id = this.#nextId++;
    this.#monitors.set(id, each);
    const request = new Uint8Array(16);
    new DataView(request.buffer).setUint16(12, 5);
    await this.send(encodeMessage(CMD.EVENT_ADD, dbr, 0, sid, id, request));
  }

  /** Closes the circuit. */
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}
