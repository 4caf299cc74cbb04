/** Benchmark actor with nothing to load: the restart-latency baseline. Speaks protocols/bench.ts (ping only). */
import type { PipeSinkProtocol } from "../../../protocols/bench.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";

export default defineActor<PipeSinkProtocol, undefined, undefined>({
  init: () => undefined,
  requests: { ping: () => "pong" },
});
