/** Benchmark actor that loads npm:h5wasm, as the file writer will: the heavy restart-latency case. */
import type { PipeSinkProtocol } from "../../../protocols/bench.ts";
import { defineActor } from "../../../actors/runtime/actor.ts";
import h5wasm from "h5wasm/node";

export default defineActor<PipeSinkProtocol, undefined, undefined>({
  async init() {
    await h5wasm.ready;
    return undefined;
  },
  requests: { ping: () => "pong" },
});
