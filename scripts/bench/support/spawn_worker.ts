/// <reference lib="deno.worker" />
/** The anchor of the restart benchmark: a bare Worker that loads the same module and says it is there. */
const which = new URL(import.meta.url).searchParams.get("load");
if (which === "h5wasm") {
  const { default: h5wasm } = await import("h5wasm/node");
  await h5wasm.ready;
}
self.postMessage("ready");
