/**
 * A PV monitor group: monitors the PVs the config actor assigns to it (channel `assign_<i>`) over Channel Access or
 * pvAccess and passes every connection change and monitor update to the serialiser (channel `pvs_<i>`), one message
 * per batch that its CA process or PVA connections delivered (everything the handlers got until the next microtask).
 * PVs are spread over a few groups by a hash of their names, so hundreds of PVs need only a few Workers and a crash
 * takes down one group. libca runs in a child process of the group (`ca_remote.ts`, `ca_process.ts` say why), which
 * dies with the group; it is started only once the group has a CA PV. pvAccess runs in the group's own Worker
 * (`pva/client.ts`): its protocol errors drop the connection and are counted, never the group.
 * Speaks protocols/forwarder.ts. Restart: permanent, with backoff.
 *
 * Back-pressure: the serialiser answers each batch with `processed` once Kafka's producer has room; while more than
 * 20,000 of the group's events are unanswered, the group holds back its pvAccess acks, so PVA servers stop at their
 * monitor window and merge updates instead of memory growing here (a serialiser silent for 5 s is trusted again).
 *
 * On start it says `hello` on both channels: the serialiser then reports the group's previous PVs as disconnected
 * until they report again, and the config actor answers with the group's assignment, which the group subscribes to.
 *
 * @module
 */
import type { AssignLink, MonitorProtocol, MonitorStats, PvEvent, PvLink } from "../../protocols/forwarder.ts";
import { defineActor, type Port } from "../runtime/actor.ts";
import type { CaClient, CaEnvironment, Monitor } from "./ca_client.ts";
import { openRemoteCaClient } from "./ca_remote.ts";
import { PvaClient, type PvaEnvironment } from "./pva/client.ts";

/** Configuration of a monitor group. */
export interface MonitorConfig {
  /** the group's number: its channels are `assign_<index>` and `pvs_<index>`. */
  index: number;
  ca: CaEnvironment;
  pva: PvaEnvironment;
}

interface State {
  config: MonitorConfig;
  /** opened with the first CA PV. */
  ca: CaClient | null;
  /** opened with the first PVA PV. */
  pva: PvaClient | null;
  log: (message: string) => void;
  out: Port<PvLink>;
  monitors: Map<string, { close(): void }>;
  protocols: Map<string, "ca" | "pva">;
  connected: Set<string>;
  updates: number;
  /** events not yet posted; posted together in a microtask. */
  batch: PvEvent[];
  /** events posted that the serialiser has not answered `processed` for yet. */
  inFlight: number;
  /** when the serialiser last answered, or when it started to owe an answer (ms). */
  creditAt: number;
}

/** Above this many events in flight the group holds back its PVA acks (PVA servers then merge updates). */
const MAX_IN_FLIGHT = 20_000;
/** A serialiser silent this long while the group holds back (e.g. restarted, its credits lost) is trusted again. */
const CREDIT_TIMEOUT_MS = 5000;

function throttle(state: State): void {
  const behind = state.inFlight > MAX_IN_FLIGHT && Date.now() - state.creditAt < CREDIT_TIMEOUT_MS;
  if (!behind && state.inFlight > MAX_IN_FLIGHT) state.inFlight = 0;
  state.pva?.setPaused(behind);
}

function report(state: State, event: PvEvent): void {
  if (state.batch.length === 0) {
    queueMicrotask(() => {
      const events = state.batch;
      state.batch = [];
      state.out.post({ type: "events", events });
      if (state.inFlight === 0) state.creditAt = Date.now(); // nothing was owed: silence until now was no failure
      state.inFlight += events.length;
      if (state.inFlight > MAX_IN_FLIGHT) throttle(state);
    });
  }
  state.batch.push(event);
}

function assign(state: State, pvs: string[], pva: string[]): void {
  const wanted = new Map<string, "ca" | "pva">([
    ...pvs.map((p) => [p, "ca"] as const),
    ...pva.map((p) => [p, "pva"] as const),
  ]);
  for (const [pv, monitor] of state.monitors) {
    if (wanted.get(pv) === state.protocols.get(pv)) continue;
    monitor.close();
    state.monitors.delete(pv);
    state.protocols.delete(pv);
    state.connected.delete(pv);
  }
  for (const [pv, protocol] of wanted) {
    if (state.monitors.has(pv)) continue;
    state.protocols.set(pv, protocol);
    state.monitors.set(pv, protocol === "ca" ? watch(state, pv) : watchPva(state, pv));
  }
}

function watchPva(state: State, pv: string): { close(): void } {
  state.pva ??= new PvaClient(state.config.pva, state.log);
  return state.pva.monitor(pv, {
    onConnection(connected) {
      if (connected) state.connected.add(pv);
      else state.connected.delete(pv);
      report(state, { type: "connection", pv, connected, timeMs: Date.now() });
    },
    onUpdate(update) {
      state.updates++;
      report(state, { type: "update", pv, update });
    },
    onError(message) {
      report(state, { type: "error", pv, message });
    },
  });
}

function watch(state: State, pv: string): Monitor {
  state.ca ??= openRemoteCaClient(state.config.ca);
  return state.ca.monitor(pv, {
    onConnection(connected) {
      if (connected) state.connected.add(pv);
      else state.connected.delete(pv);
      report(state, { type: "connection", pv, connected, timeMs: Date.now() });
    },
    onUpdate(update) {
      state.updates++;
      report(state, { type: "update", pv, update });
    },
  });
}

export default defineActor<MonitorProtocol, MonitorConfig, State>({
  init(config, ctx) {
    const control = ctx.port(`assign_${config.index}`) as Port<AssignLink>;
    const out = ctx.port(`pvs_${config.index}`) as Port<PvLink>;
    const state: State = {
      config,
      ca: null,
      pva: null,
      log: (message) => console.warn(`forwarder/monitor_${config.index}: ${message}`),
      protocols: new Map(),
      out,
      monitors: new Map(),
      connected: new Set(),
      updates: 0,
      batch: [],
      inFlight: 0,
      creditAt: Date.now(),
    };
    out.onMessage((m) => {
      if (m.type !== "processed") return;
      state.inFlight = Math.max(0, state.inFlight - m.events);
      state.creditAt = Date.now();
      throttle(state);
    });
    setInterval(() => state.inFlight > MAX_IN_FLIGHT && throttle(state), 1000);
    control.onMessage((m) => {
      if (m.type === "assign") assign(state, m.pvs, m.pva ?? []);
    });
    out.post({ type: "hello" });
    control.post({ type: "hello" });
    return state;
  },
  requests: {
    stats: (state): MonitorStats => ({
      pvs: state.monitors.size,
      connected: state.connected.size,
      updates: state.updates,
      pvaProtocolErrors: state.pva?.stats().protocolErrors ?? 0,
      pvaBadDatagrams: state.pva?.stats().badDatagrams ?? 0,
      pvaUnsupported: state.pva?.stats().unsupported ?? 0,
    }),
  },
  terminate(state) {
    state.ca?.close();
    state.pva?.close();
  },
});
