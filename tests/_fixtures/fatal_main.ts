/**
 * A whole nxflow-like process for the tests that must end the process: `escalate` crashes the only child of a root
 * with intensity 0; `hang` hangs an actor twice with one hung thread allowed. Events are printed as JSON lines; the
 * process ends through the runtime's default fatal handler (Deno.exit with the documented code).
 */
import { ActorSystem } from "../../actors/runtime/mod.ts";
import { FAST_HEARTBEAT, RECORDER, waitFor } from "../_harness/runtime.ts";

const mode = Deno.args[0];
const system = await ActorSystem.start({
  id: "root",
  intensity: mode === "escalate" ? 0 : 5,
  children: [{ id: "x", module: RECORDER, ...FAST_HEARTBEAT }, { id: "y", module: RECORDER, ...FAST_HEARTBEAT }],
}, { onEvent: (e) => console.log(JSON.stringify(e)), maxLeakedThreads: 1 });

if (mode === "escalate") {
  system.inject("x", "crash");
} else {
  system.inject("x", "hang");
  await waitFor("the replacement", () => system.find("x").restarts === 1 && system.find("x").state === "running");
  console.log(JSON.stringify({ ping: await system.ref("x").request("ping", "after hang") }));
  system.inject("y", "hang");
}
await new Promise((r) => setTimeout(r, 20_000));
console.log("still running: the fatal handler did not end the process");
Deno.exit(0);
