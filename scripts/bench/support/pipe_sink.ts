/** Benchmark actor: the receiving end of the pipe. Speaks protocols/bench.ts. */
import type { PipeSinkProtocol } from "../../../protocols/bench.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";
import { sink } from "./pipe.ts";

export default defineActor<PipeSinkProtocol, undefined, undefined>({
  init(_config, ctx) {
    const port = ctx.port("pipe");
    port.onMessage(sink((m) => port.post(m)));
    return undefined;
  },
  requests: { ping: () => "pong" },
});
