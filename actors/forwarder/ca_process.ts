/**
 * The Channel Access child process of a monitor group: runs a libca context (`ca_client.ts`) on its own main thread
 * and streams its frames (`ca_frames.ts`: connection changes and monitor updates) to its parent on stdout, as they
 * come out of the native queue: one write per batch, every few ms. Reads `{"op":"monitor","id","pv"}` and
 * `{"op":"close","id"}` lines on stdin; exits when stdin closes (its monitor group stopped or crashed).
 *
 * Why a process: a libca context, its threads and the native queue belong to the whole process. A monitor group
 * Worker that crashed could not clear its channels: the context would live on, still receiving events into the one
 * queue its restarted group then reads. A child process dies with its stdin and takes all of that with it.
 *
 * Started by `ca_remote.ts` as nxflow's hidden child program `ca` (`actors/common/children.ts`), with the arguments
 * '<CaEnvironment JSON>' <queue library>.
 *
 * @module
 */
import { type CaEnvironment, openCaContext, pumpFrames } from "./ca_client.ts";

/** Runs the child: `args` are the CaEnvironment JSON and the queue library path; resolves to the exit code. */
export async function runChild(args: string[]): Promise<number> {
  const env = JSON.parse(args[0]) as CaEnvironment;
  const context = openCaContext(env, args[1]);
  let dropped = 0;

  /** Writes the batch synchronously (cheaper than an async write; this thread has nothing else to do meanwhile). */
  const stop = pumpFrames(context, (frames) => {
    for (let at = 0; at < frames.byteLength;) at += Deno.stdout.writeSync(frames.subarray(at));
    if (context.dropped === dropped) return;
    console.error(`CA events dropped (the queue stayed full): ${context.dropped - dropped}`);
    dropped = context.dropped;
  });

  function command(line: string): void {
    const c = JSON.parse(line) as { op: "monitor"; id: number; pv: string } | { op: "close"; id: number };
    if (c.op === "close") context.close(c.id);
    else context.open(c.id, c.pv);
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
  stop();
  context.destroy();
  return 0;
}
