/**
 * The forwarder's Channel Access client: Debian's `libca` (EPICS base 7.0.3, package `libca4.13.5`) through Deno
 * FFI. This is the only module of the forwarder that touches a CA library; the rest sees {@linkcode CaClient}.
 *
 * Why libca and not `npm:epics-tca` (`scripts/bench/forwarder_ca_clients.ts` measures both on the same IOC):
 * epics-tca costs less CPU per update (~13 µs against ~150 µs per scalar, ~100 against ~680 µs per 2,048 doubles,
 * because each libca update crosses from a libca thread into the isolate while that thread waits), but it did not
 * reconnect within 15 s after an IOC restart, and its CA repeater worker crashes the whole process
 * (`parentPort.close is not a function` in Deno's polyfill) when UDP port 5065 is taken. libca is EPICS's own
 * client: reconnects, late PVs, search back-off and beacons behave exactly as every EPICS tool does.
 *
 * Threading (deno-runtime-notes §6.2): the context is preemptive (`ca_context_create(1)`), both callbacks are
 * `Deno.UnsafeCallback.threadSafe`, and the JS thread never blocks in libca (no `ca_pend_*`): libca's threads call
 * back into this isolate's event loop. A context belongs to the thread that created it. Subscriptions survive
 * disconnects: libca re-installs them when the channel reconnects. The forwarder runs this client in a child process
 * per monitor group (`ca_process.ts`): libca's threads would crash the whole process by calling into a Worker
 * isolate that died.
 *
 * @module
 */

/** Where to look for PVs; applied to the process environment before the first context is created. */
export interface CaEnvironment {
  /** `EPICS_CA_ADDR_LIST`: space-separated `host[:port]` to search. */
  addrList: string;
  /** `EPICS_CA_AUTO_ADDR_LIST`: also broadcast on every interface. @default false */
  autoAddrList?: boolean;
  /** `EPICS_CA_SERVER_PORT`. @default 5064 */
  serverPort?: number;
}

/** The native type of a PV, as CA reports it. */
export type CaType = "string" | "short" | "float" | "enum" | "char" | "long" | "double";

/** One monitor update, copied out of libca's buffer. */
export interface CaUpdate {
  type: CaType;
  /** one number, or the array for a PV with more than one element; strings as JS strings. */
  value: number | string | CaArray | string[];
  /** EPICS alarm severity 0..3 and status (index into {@linkcode ALARM_STATUS}). */
  severity: number;
  status: number;
  /** EPICS timestamp, ns since the Unix epoch. */
  timestampNs: bigint;
  /** whether the PV holds an array (element count > 1) rather than a scalar. */
  array: boolean;
}

/** The typed arrays CA waveforms arrive as. */
export type CaArray = Int16Array | Float32Array | Uint16Array | Uint8Array | Int32Array | Float64Array;

/** What a subscription calls. */
export interface MonitorHandlers {
  onConnection(connected: boolean): void;
  onUpdate(update: CaUpdate): void;
}

/** A channel with its monitor. */
export interface Monitor {
  readonly pv: string;
  close(): void;
}

/** A Channel Access client context. */
export interface CaClient {
  /** Connects to `pv` (now or whenever it appears) and monitors value and alarm changes. */
  monitor(pv: string, handlers: MonitorHandlers): Monitor;
  /** Closes every channel and the context. */
  close(): void;
}

/** EPICS alarm status names (`epicsAlarmConditionStrings`), indexed by status. */
export const ALARM_STATUS = [
  "NO_ALARM",
  "READ",
  "WRITE",
  "HIHI",
  "HIGH",
  "LOLO",
  "LOW",
  "STATE",
  "COS",
  "COMM",
  "TIMEOUT",
  "HWLIMIT",
  "CALC",
  "SCAN",
  "LINK",
  "SOFT",
  "BAD_SUB",
  "UDF",
  "DISABLE",
  "SIMM",
  "READ_ACCESS",
  "WRITE_ACCESS",
] as const; // deno-fmt-ignore

/** libca could not be loaded or refused a request. */
export class CaError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CaError";
  }
}

const LIBRARY = "libca.so.4.13.5";
const EPICS_EPOCH_S = 631_152_000n;
const DBE_VALUE_ALARM = 1 | 4;
const CA_OP_CONN_UP = 6;
const ECA_NORMAL = 1;
const TYPES: CaType[] = ["string", "short", "float", "enum", "char", "long", "double"];
/** offset of the value in `dbr_time_<type>` and the element size. */
const LAYOUT: Record<CaType, [number, number]> = {
  string: [12, 40],
  short: [14, 2],
  float: [12, 4],
  enum: [14, 2],
  char: [15, 1],
  long: [12, 4],
  double: [16, 8],
};

const SYMBOLS = {
  ca_context_create: { parameters: ["i32"], result: "i32" },
  ca_context_destroy: { parameters: [], result: "void" },
  ca_create_channel: { parameters: ["buffer", "function", "pointer", "i32", "buffer"], result: "i32" },
  ca_clear_channel: { parameters: ["pointer"], result: "i32" },
  ca_create_subscription: {
    parameters: ["i64", "u64", "pointer", "i64", "function", "pointer", "buffer"],
    result: "i32",
  },
  ca_field_type: { parameters: ["pointer"], result: "i16" },
  ca_element_count: { parameters: ["pointer"], result: "u64" },
  ca_flush_io: { parameters: [], result: "i32" },
  ca_message: { parameters: ["i64"], result: "pointer" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

interface Channel {
  id: number;
  pv: string;
  handlers: MonitorHandlers;
  chid: Deno.PointerValue;
  subscribed: boolean;
  closed: boolean;
}

function message(lib: Lib, status: number): string {
  const p = lib.ca_message(BigInt(status));
  return p ? Deno.UnsafePointerView.getCString(p) : `status ${status}`;
}

function pointerAt(bytes: Uint8Array, offset: number): Deno.PointerValue {
  return Deno.UnsafePointer.create(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(offset, true));
}

function decodeString(bytes: Uint8Array, offset: number): string {
  const end = bytes.indexOf(0, offset);
  return new TextDecoder().decode(bytes.subarray(offset, end < 0 || end > offset + 40 ? offset + 40 : end));
}

/** Decodes a `dbr_time_<type>` buffer of `count` elements (copied out of libca first). */
export function decodeTimeDbr(type: CaType, count: number, bytes: Uint8Array): CaUpdate {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [at, size] = LAYOUT[type];
  const seconds = BigInt(view.getUint32(4, true)) + EPICS_EPOCH_S;
  const timestampNs = seconds * 1_000_000_000n + BigInt(view.getUint32(8, true));
  const head = { type, status: view.getInt16(0, true), severity: view.getInt16(2, true), timestampNs };
  const array = count > 1;
  if (type === "string") {
    const all = Array.from({ length: count }, (_, i) => decodeString(bytes, at + i * size));
    return { ...head, array, value: array ? all : all[0] ?? "" };
  }
  const body = bytes.slice(at, at + count * size).buffer;
  const values = type === "short"
    ? new Int16Array(body)
    : type === "float"
    ? new Float32Array(body)
    : type === "enum"
    ? new Uint16Array(body)
    : type === "char"
    ? new Uint8Array(body)
    : type === "long"
    ? new Int32Array(body)
    : new Float64Array(body);
  return { ...head, array, value: array ? values : values[0] ?? 0 };
}

/** Size in bytes of a `dbr_time_<type>` buffer holding `count` elements. */
function dbrBytes(type: CaType, count: number): number {
  const [at, size] = LAYOUT[type];
  return at + Math.max(count, 1) * size;
}

/** Opens a libca context for this thread; see the module doc. Throws {@linkcode CaError} if libca is missing. */
export function openCaClient(env: CaEnvironment): CaClient {
  Deno.env.set("EPICS_CA_ADDR_LIST", env.addrList);
  Deno.env.set("EPICS_CA_AUTO_ADDR_LIST", env.autoAddrList ? "YES" : "NO");
  Deno.env.set("EPICS_CA_SERVER_PORT", String(env.serverPort ?? 5064));
  let dl: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    dl = Deno.dlopen(LIBRARY, SYMBOLS);
  } catch (error) {
    throw new CaError(`Cannot load ${LIBRARY} (install the Debian package libca4.13.5): ${error}`, { cause: error });
  }
  const lib = dl.symbols;
  const status = lib.ca_context_create(1);
  if (status !== ECA_NORMAL) throw new CaError(`Cannot create a CA context: ${message(lib, status)}`);
  const byChid = new Map<bigint, Channel>();
  const byId = new Map<number, Channel>();
  let nextId = 1;

  const onEvent = Deno.UnsafeCallback.threadSafe(
    { parameters: [{ struct: ["pointer", "pointer", "i64", "i64", "pointer", "i32"] }], result: "void" } as const,
    (args: Uint8Array) => {
      const view = new DataView(args.buffer, args.byteOffset, args.byteLength);
      const id = Number(view.getBigUint64(0, true));
      const channel = byId.get(id);
      const type = TYPES[Number(view.getBigInt64(16, true)) - 14];
      const count = Number(view.getBigInt64(24, true));
      const dbr = pointerAt(args, 32);
      if (!channel || channel.closed || view.getInt32(40, true) !== ECA_NORMAL || !dbr || !type) return;
      const bytes = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(dbr, dbrBytes(type, count)));
      channel.handlers.onUpdate(decodeTimeDbr(type, count, bytes));
    },
  );
  const onConnection = Deno.UnsafeCallback.threadSafe(
    { parameters: [{ struct: ["pointer", "i64"] }], result: "void" } as const,
    (args: Uint8Array) => {
      const chid = pointerAt(args, 0);
      const op = Number(new DataView(args.buffer, args.byteOffset).getBigInt64(8, true));
      const channel = byChid.get(Deno.UnsafePointer.value(chid) as bigint);
      if (!channel || channel.closed) return;
      const up = op === CA_OP_CONN_UP;
      if (up && !channel.subscribed) subscribe(channel, chid);
      channel.handlers.onConnection(up);
    },
  );

  function subscribe(channel: Channel, chid: Deno.PointerValue): void {
    const fieldType = lib.ca_field_type(chid);
    const type = TYPES[fieldType];
    if (!type) throw new CaError(`Cannot monitor ${channel.pv}: unknown CA field type ${fieldType}`);
    const count = lib.ca_element_count(chid);
    const evid = new BigUint64Array(1);
    const s = lib.ca_create_subscription(
      BigInt(fieldType + 14),
      count > 1n ? 0n : 1n,
      chid,
      BigInt(DBE_VALUE_ALARM),
      onEvent.pointer,
      Deno.UnsafePointer.create(BigInt(channel.id)),
      evid,
    );
    if (s !== ECA_NORMAL) throw new CaError(`Cannot monitor ${channel.pv}: ${message(lib, s)}`);
    channel.subscribed = true;
    lib.ca_flush_io();
  }

  return {
    monitor(pv, handlers) {
      const id = nextId++;
      const channel: Channel = { id, pv, handlers, chid: null, subscribed: false, closed: false };
      byId.set(id, channel);
      const out = new BigUint64Array(1);
      const name = new TextEncoder().encode(pv + "\0");
      // the connection callback waits in the event loop's queue until this returns and the chid is registered
      const s = lib.ca_create_channel(name, onConnection.pointer, null, 0, out);
      if (s !== ECA_NORMAL) {
        byId.delete(id);
        throw new CaError(`Cannot create a channel for ${pv}: ${message(lib, s)}`);
      }
      channel.chid = Deno.UnsafePointer.create(out[0]);
      byChid.set(out[0], channel);
      lib.ca_flush_io();
      return {
        pv,
        close() {
          if (channel.closed) return;
          channel.closed = true;
          byId.delete(id);
          byChid.delete(out[0]);
          lib.ca_clear_channel(channel.chid);
          lib.ca_flush_io();
        },
      };
    },
    close() {
      for (const c of byId.values()) {
        c.closed = true;
        lib.ca_clear_channel(c.chid);
      }
      byId.clear();
      byChid.clear();
      lib.ca_context_destroy();
      onEvent.close();
      onConnection.close();
      dl.close();
    },
  };
}
