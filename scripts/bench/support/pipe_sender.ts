/** Benchmark actor: the sending end of the pipe. Speaks protocols/bench.ts. */
import type { PipeMessage, PipeSenderProtocol } from "../../../protocols/bench.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";
import { send } from "./pipe.ts";

export default defineActor<PipeSenderProtocol, undefined, { listener: (m: PipeMessage) => void }>({
  init(_config, ctx) {
    const state = { listener: (_m: PipeMessage) => {} };
    ctx.port("pipe").onMessage((m) => state.listener(m));
    return state;
  },
  requests: {
    run: async (state, run, ctx) => {
      const elapsedMs = await send(run, (m) => ctx.port("pipe").post(m), (l) => (state.listener = l));
      return { elapsedMs };
    },
    ping: () => "pong",
  },
});
