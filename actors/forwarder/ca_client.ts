/**
 * The forwarder's Channel Access client: Debian's `libca` (EPICS base 7.0.3, package `libca4.13.5`) through Deno
 * FFI. This is the only module of the forwarder that touches a CA library; the rest sees {@linkcode CaClient}.
 *
 * Why libca and not `npm:epics-tca` (`scripts/bench/forwarder_ca_clients.ts` measures both on the same IOC):
 * epics-tca did not reconnect within 15 s after an IOC restart, and its CA repeater worker crashes the whole process
 * (`parentPort.close is not a function` in Deno's polyfill) when UDP port 5065 is taken. libca is EPICS's own
 * client: reconnects, late PVs, search back-off and beacons behave exactly as every EPICS tool does. Its cost is now
 * close to epics-tca's: ~19 µs of CPU per scalar update against ~14, ~100 per 2,048 doubles against ~120.
 *
 * Threading: the context is preemptive (`ca_context_create(1)`) and the JS thread never blocks in libca (no
 * `ca_pend_*`), so libca's own threads run the callbacks. These callbacks are not JS: they are the native event
 * queue (`ca_queue.c`, built on first use by `ca_queue.ts`), which copies each event into a buffer and returns; the
 * JS thread drains that buffer every few ms while events flow, and otherwise awaits the next event in a nonblocking
 * FFI call ({@linkcode pumpFrames}); it gets binary frames (`ca_frames.ts`).
 * Why not `Deno.UnsafeCallback.threadSafe` (the first design): for each update, the libca thread hands the call to
 * the isolate's event loop and waits for it, spinning in `sched_yield`. With one such process that cost ~50 µs of CPU
 * per update; with four (one per monitor group) on a 2-core machine the spinning threads starved everything else:
 * 12 of the IOC's 1,200 scalar updates/s reached Kafka, at 1.9 cores, 86% system time. With the queue the JS thread
 * spends ~2 µs per update and libca's receive thread only its own socket work.
 *
 * A context belongs to the thread that created it, and the queue is one per process: one context per process.
 * Subscriptions survive disconnects: libca re-installs them when the channel reconnects. The forwarder runs a
 * context in a child process per monitor group (`ca_process.ts` says why).
 *
 * @module
 */

import { CA_TYPES, CONNECTION, decodeFrame, eachFrame } from "./ca_frames.ts";
import { ensureCaQueue, LIBCA, loadCaQueue, type QueueLibrary } from "./ca_queue.ts";

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

/** libca (or the event queue) could not be loaded, or libca refused a request. */
export class CaError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CaError";
  }
}

const DBE_VALUE_ALARM = 1 | 4;
const ECA_NORMAL = 1;
/**
 * How often the queue is drained while events flow. Each drain costs a wakeup of this process, a pipe write, a wakeup
 * of the monitor group and a message to the serialiser, so shorter periods cost more at moderate rates. Benchmark
 * (1,000 scalar PVs, 4 groups, all of the IOC's updates forwarded; the IOC gets the CPU the forwarder leaves): 2 ms:
 * 0.91 cores at ~3,600 updates/s; 5 ms: 0.79 at 4,400; 10 ms: 0.73 at 4,800. Kafka's acknowledgement takes ~20 ms
 * anyway. A Deno timer costs ~70 µs here, so an idle queue is not polled: the pump waits for its next event.
 */
const POLL_MS = 10;
/** how long one wait for the next event lasts before it is started again. */
const WAIT_MS = 10_000;

const SYMBOLS = {
  ca_context_create: { parameters: ["i32"], result: "i32" },
  ca_context_destroy: { parameters: [], result: "void" },
  ca_create_channel: { parameters: ["buffer", "pointer", "pointer", "i32", "buffer"], result: "i32" },
  ca_clear_channel: { parameters: ["pointer"], result: "i32" },
  ca_create_subscription: {
    parameters: ["i64", "u64", "pointer", "i64", "pointer", "pointer", "buffer"],
    result: "i32",
  },
  ca_field_type: { parameters: ["pointer"], result: "i16" },
  ca_element_count: { parameters: ["pointer"], result: "u64" },
  ca_flush_io: { parameters: [], result: "i32" },
  ca_message: { parameters: ["i64"], result: "pointer" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/**
 * A libca context whose events arrive as frames (`ca_frames.ts`) through the native queue. One per process.
 */
export interface CaContext {
  /** Creates a channel to `pv` (now or whenever it appears); its frames carry `id`. Monitors it once connected. */
  open(id: number, pv: string): void;
  /** Clears the channel `id`; frames of it already queued may still come. */
  close(id: number): void;
  /** Takes the frames queued so far (`null` when there are none), after subscribing the channels that connected. */
  drain(): Uint8Array | null;
  /** Resolves when frames are queued (`true`), after `ms` with none, or at {@linkcode CaContext.wake} (`false`). */
  wait(ms: number): Promise<boolean>;
  /** Ends the current or next {@linkcode CaContext.wait} at once. */
  wake(): void;
  /** events the queue dropped because it stayed full (see `ca_queue.c`). */
  readonly dropped: number;
  /** Clears every channel and destroys the context. */
  destroy(): void;
}

interface Channel {
  pv: string;
  chid: Deno.PointerValue;
  subscribed: boolean;
}

let contextOpen = false;

function message(lib: Lib, status: number): string {
  const p = lib.ca_message(BigInt(status));
  return p ? Deno.UnsafePointerView.getCString(p) : `status ${status}`;
}

/**
 * Opens this process's libca context, its events queued by the queue library at `queuePath` (`ensureCaQueue()`).
 * Throws {@linkcode CaError} if libca or the queue cannot be loaded, or a context is open already.
 */
export function openCaContext(env: CaEnvironment, queuePath: string): CaContext {
  if (contextOpen) throw new CaError("Cannot open a second CA context in this process");
  Deno.env.set("EPICS_CA_ADDR_LIST", env.addrList);
  Deno.env.set("EPICS_CA_AUTO_ADDR_LIST", env.autoAddrList ? "YES" : "NO");
  Deno.env.set("EPICS_CA_SERVER_PORT", String(env.serverPort ?? 5064));
  let dl: Deno.DynamicLibrary<typeof SYMBOLS>;
  let queue: QueueLibrary;
  try {
    dl = Deno.dlopen(LIBCA, SYMBOLS);
  } catch (error) {
    throw new CaError(`Cannot load ${LIBCA} (install the Debian package libca4.13.5): ${error}`, { cause: error });
  }
  try {
    queue = loadCaQueue(queuePath);
  } catch (error) {
    dl.close();
    throw new CaError((error as Error).message, { cause: error });
  }
  const lib = dl.symbols;
  const q = queue.symbols;
  const status = lib.ca_context_create(1);
  if (status !== ECA_NORMAL) throw new CaError(`Cannot create a CA context: ${message(lib, status)}`);
  contextOpen = true;
  const onEvent = q.nxq_event_callback();
  const onConnection = q.nxq_connection_callback();
  const channels = new Map<number, Channel>();
  let out = new Uint8Array(1 << 16);

  function subscribe(id: number, channel: Channel): void {
    const fieldType = lib.ca_field_type(channel.chid);
    if (!CA_TYPES[fieldType]) throw new CaError(`Cannot monitor ${channel.pv}: unknown CA field type ${fieldType}`);
    const count = lib.ca_element_count(channel.chid);
    const evid = new BigUint64Array(1);
    const s = lib.ca_create_subscription(
      BigInt(fieldType + 14),
      count > 1n ? 0n : 1n,
      channel.chid,
      BigInt(DBE_VALUE_ALARM),
      onEvent,
      Deno.UnsafePointer.create(BigInt(id)),
      evid,
    );
    if (s !== ECA_NORMAL) throw new CaError(`Cannot monitor ${channel.pv}: ${message(lib, s)}`);
    channel.subscribed = true;
  }

  return {
    open(id, pv) {
      const chid = new BigUint64Array(1);
      const name = new TextEncoder().encode(pv + "\0");
      const s = lib.ca_create_channel(name, onConnection, Deno.UnsafePointer.create(BigInt(id)), 0, chid);
      if (s !== ECA_NORMAL) throw new CaError(`Cannot create a channel for ${pv}: ${message(lib, s)}`);
      channels.set(id, { pv, chid: Deno.UnsafePointer.create(chid[0]), subscribed: false });
      lib.ca_flush_io();
    },
    close(id) {
      const channel = channels.get(id);
      if (!channel) return;
      channels.delete(id);
      lib.ca_clear_channel(channel.chid);
      lib.ca_flush_io();
    },
    drain() {
      const pending = Number(q.nxq_pending());
      if (pending === 0) return null;
      if (pending > out.byteLength) out = new Uint8Array(2 ** Math.ceil(Math.log2(pending)));
      const end = Number(q.nxq_drain(out, BigInt(out.byteLength)));
      let subscribed = false;
      eachFrame(out, end, (frame) => {
        if (frame[0] !== CONNECTION || frame[5] !== 1) return;
        const id = new DataView(frame.buffer, frame.byteOffset).getUint32(1, true);
        const channel = channels.get(id);
        if (!channel || channel.subscribed) return;
        subscribe(id, channel);
        subscribed = true;
      });
      if (subscribed) lib.ca_flush_io();
      return end > 0 ? out.slice(0, end) : null;
    },
    async wait(ms) {
      return (await q.nxq_wait(ms)) > 0n;
    },
    wake() {
      q.nxq_wake();
    },
    get dropped() {
      return Number(q.nxq_dropped());
    },
    destroy() {
      for (const channel of channels.values()) lib.ca_clear_channel(channel.chid);
      channels.clear();
      lib.ca_context_destroy();
      // the queue outlives the context: empty it for the next one
      for (let n = Number(q.nxq_pending()); n > 0; n = Number(q.nxq_pending())) {
        if (n > out.byteLength) out = new Uint8Array(n);
        q.nxq_drain(out, BigInt(out.byteLength));
      }
      contextOpen = false;
      dl.close();
    },
  };
}

/**
 * Awaits `deliver` with each batch of frames from `context`: waits for an event, then drains every
 * {@linkcode POLL_MS} ms until a drain finds nothing, then waits again. Returns what stops it.
 */
export function pumpFrames(context: CaContext, deliver: (frames: Uint8Array) => void | Promise<void>): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resume = () => {};
  const pause = () =>
    new Promise<void>((resolve) => {
      resume = resolve;
      timer = setTimeout(resolve, POLL_MS);
    });
  void (async () => {
    let flowing = false;
    while (!stopped) {
      const ready = flowing || await context.wait(WAIT_MS);
      if (stopped) break;
      if (!ready) continue;
      await pause();
      if (stopped) break;
      const frames = context.drain();
      flowing = frames !== null;
      if (frames) await deliver(frames);
    }
  })();
  return () => {
    stopped = true;
    clearTimeout(timer);
    resume();
    context.wake();
  };
}

/** Opens a libca context in this process (building the queue if needed); see the module doc. */
export function openCaClient(env: CaEnvironment): CaClient {
  let path: string;
  try {
    path = ensureCaQueue();
  } catch (error) {
    throw new CaError((error as Error).message, { cause: error });
  }
  const context = openCaContext(env, path);
  const handlers = new Map<number, MonitorHandlers>();
  let nextId = 1;
  const stop = pumpFrames(context, (frames) => {
    eachFrame(frames, frames.byteLength, (bytes) => {
      const frame = decodeFrame(bytes);
      const h = handlers.get(frame.id);
      if (!h) return;
      if (frame.kind === "connection") h.onConnection(frame.connected);
      else h.onUpdate(frame.update);
    });
  });
  return {
    monitor(pv, h) {
      const id = nextId++;
      context.open(id, pv);
      handlers.set(id, h);
      return {
        pv,
        close() {
          if (handlers.delete(id)) context.close(id);
        },
      };
    },
    close() {
      stop();
      handlers.clear();
      context.destroy();
    },
  };
}
