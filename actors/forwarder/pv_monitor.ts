/**
 * A PV monitor group: monitors the PVs the config actor assigns to it (channel `assign_<i>`) over Channel Access and
 * passes every connection change and monitor update to the serialiser (channel `pvs_<i>`), one message per batch
 * that its CA process delivered (everything the handlers got until the next microtask). PVs are spread over a
 * few groups by a hash of their names, so hundreds of PVs need only a few Workers and a crash takes down one group.
 * libca runs in a child process of the group (`ca_remote.ts`, `ca_process.ts` say why), which dies with the group.
 * Speaks protocols/forwarder.ts. Restart: permanent, with backoff.
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

/** Configuration of a monitor group. */
export interface MonitorConfig {
  /** the group's number: its channels are `assign_<index>` and `pvs_<index>`. */
  index: number;
  ca: CaEnvironment;
}

interface State {
  ca: CaClient;
  out: Port<PvLink>;
  monitors: Map<string, Monitor>;
  connected: Set<string>;
  updates: number;
  /** events not yet posted; posted together in a microtask. */
  batch: PvEvent[];
}

function report(state: State, event: PvEvent): void {
  if (state.batch.length === 0) {
    queueMicrotask(() => {
      const events = state.batch;
      state.batch = [];
      state.out.post({ type: "events", events });
    });
  }
  state.batch.push(event);
}

function assign(state: State, pvs: string[]): void {
  const wanted = new Set(pvs);
  for (const [pv, monitor] of state.monitors) {
    if (wanted.has(pv)) continue;
    monitor.close();
    state.monitors.delete(pv);
    state.connected.delete(pv);
  }
  for (const pv of wanted) {
    if (!state.monitors.has(pv)) state.monitors.set(pv, watch(state, pv));
  }
}

function watch(state: State, pv: string): Monitor {
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
      ca: openRemoteCaClient(config.ca),
      out,
      monitors: new Map(),
      connected: new Set(),
      updates: 0,
      batch: [],
    };
    control.onMessage((m) => {
      if (m.type === "assign") assign(state, m.pvs);
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
    }),
  },
  terminate(state) {
    state.ca.close();
  },
});
