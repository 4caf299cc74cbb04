/**
 * A {@linkcode CaClient} whose libca runs in a child process (`ca_process.ts`; that module says why). Monitor groups
 * use this one. The child is tied to this isolate by its stdin: when the group stops or crashes, the pipe closes and
 * the child exits; {@linkcode CaClient.close} also kills it.
 *
 * The child's frames (`ca_frames.ts`) arrive in batches; each read of its stdout is decoded and handed to the
 * handlers in one synchronous run, so a caller that collects what its handlers get until the next microtask sees one
 * batch at a time.
 *
 * @module
 */
import type { CaClient, CaEnvironment, Monitor, MonitorHandlers } from "./ca_client.ts";
import { decodeFrame, FrameSplitter } from "./ca_frames.ts";
import { ensureCaQueue } from "./ca_queue.ts";
import { childCommand } from "../common/children.ts";

/** Starts the child process (building the native queue first if needed) and returns a client speaking to it. */
export function openRemoteCaClient(env: CaEnvironment): CaClient {
  const library = ensureCaQueue();
  const self = childCommand("ca", [JSON.stringify(env), library], ["--allow-ffi", "--allow-env"]);
  const child = new Deno.Command(self.command, {
    args: self.args,
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
  const deliver = (bytes: Uint8Array) => {
    const frame = decodeFrame(bytes);
    const h = handlers.get(frame.id);
    if (!h) return;
    if (frame.kind === "connection") h.onConnection(frame.connected);
    else h.onUpdate(frame.update);
  };
  void (async () => {
    const frames = new FrameSplitter();
    for await (const chunk of child.stdout) frames.push(chunk, deliver);
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
