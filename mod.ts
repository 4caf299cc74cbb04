/**
 * nxflow: an actor system for neutron-scattering data streaming (ESS style). Detector readout, EPICS monitoring,
 * serialisation, broker I/O and NeXus file writing run as isolated actors, each in its own Web Worker, under
 * supervision trees that restart them when they fail.
 *
 * Run as a program, this module is the `nxflow` command (`deno task nxflow --help`, or the compiled binary).
 * Imported, it offers the actor runtime and the ESS streaming-data-type codecs (`ev44.encode`, `decodeAny`, ...).
 *
 * @example
 * ```ts
 * import { ActorSystem } from "./mod.ts";
 * const system = await ActorSystem.start({
 *   id: "root",
 *   children: [{ id: "worker", module: new URL("./my_actor.ts", import.meta.url), config: {} }],
 * });
 * console.log(JSON.stringify(system.snapshot()));
 * await system.stop();
 * ```
 *
 * @module
 */
export * from "./actors/runtime/mod.ts";
export * from "./schemas/mod.ts";
export type * from "./protocols/supervision.ts";
export type { ActorProtocol, FaultKind } from "./protocols/runtime.ts";

if (import.meta.main) {
  Deno.exit(await (await import("./actors/cli/main.ts")).main(Deno.args));
}
