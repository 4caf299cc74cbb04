/** A test actor that records numbers; see tests/_fixtures/protocols.ts. Restart: any. */
import { defineActor } from "../../../actors/runtime/actor.ts";
import type { RecorderConfig, RecorderProtocol } from "../protocols.ts";

interface State {
  n: number[];
  redelivered: number[];
  poison?: number;
  /** times the link's peer was connected. */
  connects: number;
}

export default defineActor<RecorderProtocol, RecorderConfig | undefined, State>({
  async init(config, ctx) {
    if (config?.initDelayMs) await new Promise((r) => setTimeout(r, config.initDelayMs));
    if (config?.failInit) throw new Error(config.failInit);
    const state: State = { n: [], redelivered: [], poison: config?.poison, connects: 0 };
    ctx.port("link").onMessage((m) => {
      state.n.push(m.n);
      ctx.emit({ type: "recorded", id: ctx.id, n: m.n, redelivered: false });
    });
    ctx.port("link").onConnect(() => state.connects++);
    return state;
  },
  async handle(state, msg, ctx) {
    switch (msg.type) {
      case "slowRecord":
        await new Promise((r) => setTimeout(r, msg.ms));
        // falls through
      case "record":
        if (msg.n === state.poison) throw new Error(`poison ${msg.n}`);
        if (ctx.redelivered) state.redelivered.push(msg.n);
        state.n.push(msg.n);
        ctx.emit({ type: "recorded", id: ctx.id, n: msg.n, redelivered: ctx.redelivered });
        return;
      case "forward":
        return ctx.port("link").post({ n: msg.n });
      case "blob":
        return ctx.emit({ type: "blob", bytes: msg.data.byteLength, sum: msg.data.reduce((a, b) => a + b, 0) });
      case "throw":
        throw new Error(msg.message);
      case "rejectLater":
        setTimeout(() => Promise.reject(new Error(msg.message)), 1);
        return;
      case "closeSelf":
        return self.close();
      case "denoExit":
        return Deno.exit(msg.code);
      case "busy": {
        const until = performance.now() + msg.ms;
        while (performance.now() < until) {
          // synchronous work that blocks the event loop, as a starved or overloaded worker would
        }
        return;
      }
      case "finish":
        return ctx.exit("finished its work");
    }
  },
  requests: {
    seen: (state) => ({ n: state.n, redelivered: state.redelivered, connects: state.connects }),
    ping: (_state, text) => `pong ${text}`,
    invalid: (_state, n) => {
      throw new RangeError(`Cannot use ${n}`);
    },
    echoBlob: (_state, data) => data,
  },
  terminate(_state, ctx) {
    ctx.emit({ type: "stopping", id: ctx.id });
  },
});
