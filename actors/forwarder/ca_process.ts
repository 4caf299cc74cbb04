/**
 * The Channel Access child process of a monitor group: runs the libca client (`ca_client.ts`) on its own main
 * thread and streams connection changes and monitor updates to its parent as binary frames on stdout
 * (`ca_frames.ts`); reads `{"op":"monitor","id","pv"}` and `{"op":"close","id"}` lines on stdin; exits when stdin
 * closes (its monitor group stopped or crashed).
 *
 * Why a process: libca's threads call back into the isolate that subscribed. If that isolate is a Worker that
 * crashes or is terminated, the next callback lands in a dead isolate and the whole Deno process segfaults. In a
 * child process the damage stays in the child, which dies with its stdin.
 *
 * Usage (by `ca_remote.ts`): deno run --allow-ffi --allow-env ca_process.ts '<CaEnvironment JSON>'
 *
 * @module
 */
import { type CaEnvironment, type Monitor, openCaClient } from "./ca_client.ts";
import { encodeConnection, encodeUpdate } from "./ca_frames.ts";

const env = JSON.parse(Deno.args[0]) as CaEnvironment;
const ca = openCaClient(env);
const monitors = new Map<number, Monitor>();
const out = Deno.stdout.writable.getWriter();
let pending: Uint8Array[] = [];
let flushing: Promise<void> | null = null;
const FLUSH_MS = 2;

/** Queues a frame; frames are written together every few ms, so a busy PV set costs one write per batch. */
function emit(frame: Uint8Array): void {
  pending.push(frame);
  flushing ??= new Promise<void>((resolve) => setTimeout(resolve, FLUSH_MS)).then(async () => {
    while (pending.length > 0) {
      const frames = pending;
      pending = [];
      const size = frames.reduce((n, f) => n + f.byteLength, 0);
      const all = new Uint8Array(size);
      let at = 0;
      for (const f of frames) {
        all.set(f, at);
        at += f.byteLength;
      }
      await out.write(all);
    }
    flushing = null;
  });
}

function command(line: string): void {
  const c = JSON.parse(line) as { op: "monitor"; id: number; pv: string } | { op: "close"; id: number };
  if (c.op === "close") {
    monitors.get(c.id)?.close();
    monitors.delete(c.id);
    return;
  }
  monitors.set(
    c.id,
    ca.monitor(c.pv, {
      onConnection: (connected) => emit(encodeConnection(c.id, connected)),
      onUpdate: (update) => emit(encodeUpdate(c.id, update)),
    }),
  );
}

let buffered = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffered += chunk;
  for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (line.trim()) command(line);
  }
}
ca.close();
Deno.exit(0);
