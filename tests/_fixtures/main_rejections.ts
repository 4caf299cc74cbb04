/**
 * A main thread like `nxflow start`'s (a tree, the admin endpoint, the rejection guard with intensity 2) that leaves
 * `Deno.args[0]` rejected promises unhandled, one at a time; prints JSON lines: each logged stack, then the health,
 * or `gaveUp` and exits 3 when the guard escalates.
 */
import { startAdminServer } from "../../actors/admin/server.ts";
import { ActorSystem, EXIT_CODES } from "../../actors/runtime/mod.ts";
import { guardRejections } from "../../actors/runtime/rejections.ts";
import { RECORDER } from "../_harness/runtime.ts";

const system = await ActorSystem.start({ id: "root", children: [{ id: "rec", module: RECORDER }] });
const guard = guardRejections({
  log: (stack) => console.log(JSON.stringify({ logged: stack })),
  intensity: 2,
  periodMs: 60_000,
  onGiveUp: async () => {
    console.log(JSON.stringify({ gaveUp: guard.count }));
    await admin.shutdown();
    await system.stop();
    Deno.exit(EXIT_CODES.escalated);
  },
});
const admin = await startAdminServer(system, {
  host: "127.0.0.1",
  port: 0,
  faultInjection: false,
  version: "test",
  commit: "abc",
  log: () => {},
  unhandledRejections: () => guard.count,
});

async function forgottenCatch(i: number): Promise<void> {
  await null;
  throw new Error(`forgotten catch ${i}`);
}

for (let i = 0; i < Number(Deno.args[0]); i++) {
  void forgottenCatch(i);
  await new Promise((r) => setTimeout(r, 50));
}
console.log(JSON.stringify({ health: await (await fetch(`${admin.url}/health`)).json() }));
await admin.shutdown();
await system.stop();
