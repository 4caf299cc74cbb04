/**
 * A {@linkcode CaClient} whose libca runs in a child process (`ca_process.ts`; that module says why). Monitor groups
 * use this one. The child is tied to this isolate by its stdin: when the group stops or crashes, the pipe closes and
 * the child exits; {@linkcode CaClient.close} also kills it.
 *
 * @module
 */
import type { CaClient, CaEnvironment, Monitor, MonitorHandlers } from "./ca_client.ts";
import { decodeFrame } from "./ca_frames.ts";

const CHILD = new URL("./ca_process.ts", import.meta.url).href;

/** Starts the child process and returns a client speaking to it. */
export function openRemoteCaClient(env: CaEnvironment): CaClient {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-lock", "--allow-ffi", "--allow-env", CHILD, JSON.stringify(env)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const commands = child.stdin.getWriter();
  const handlers = new Map<number, MonitorHandlers>();
  let nextId = 1;
  let closed = false;
  let queue = Promise.resolve();
  const send = (line: object) => {
    queue = queue.then(() => commands.write(new TextEncoder().encode(JSON.stringify(line) + "\n"))).catch(() => {});
  };
  void (async () => {
    let buffer = new Uint8Array(0);
    for await (const chunk of child.stdout) {
      const joined = new Uint8Array(buffer.byteLength + chunk.byteLength);
      joined.set(buffer);
      joined.set(chunk, buffer.byteLength);
      let at = 0;
      const view = new DataView(joined.buffer);
      while (joined.byteLength - at >= 4) {
        const size = view.getUint32(at, true);
        if (joined.byteLength - at - 4 < size) break;
        const frame = decodeFrame(joined.subarray(at + 4, at + 4 + size));
        at += 4 + size;
        const h = handlers.get(frame.id);
        if (!h) continue;
        if (frame.kind === "connection") h.onConnection(frame.connected);
        else h.onUpdate(frame.update);
      }
      buffer = joined.slice(at);
    }
    if (!closed) throw new Error(`The CA child process exited (${(await child.status).code}); restarting the group`);
  })();
  return {
    monitor(pv: string, h: MonitorHandlers): Monitor {
      const id = nextId++;
      handlers.set(id, h);
      send({ op: "monitor", id, pv });
      return {
        pv,
        close() {
          if (!handlers.delete(id)) return;
          send({ op: "close", id });
        },
      };
    },
    close() {
      closed = true;
      handlers.clear();
      void commands.close().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}
