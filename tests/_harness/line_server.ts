/**
 * A Python test server driven over its stdin/stdout, one line a command: it prints `ready` once it serves, then
 * answers each command line with a line starting `ok` (or an error). Used by the IOC (`ioc.ts`) and the p4p server
 * (`p4p.ts`).
 */

/** A running line server. */
export interface LineServer {
  /** Sends one command line and resolves with its `ok...` answer; commands run one after the other. */
  command(line: string): Promise<string>;
  /** Closes its stdin and waits for it to end (SIGKILL after 5 s). Safe to call twice. */
  stop(): Promise<void>;
}

/** Spawns `python args` with `env` and waits (up to 60 s) until it says `ready`; `name` is for messages. */
export async function startLineServer(
  python: string,
  args: string[],
  env: Record<string, string>,
  name: string,
): Promise<LineServer> {
  const child = new Deno.Command(python, { args, env, stdin: "piped", stdout: "piped", stderr: "null" }).spawn();
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  async function nextLine(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!buffered.includes("\n")) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not answer`)), Math.max(deadline - Date.now(), 1));
      });
      try {
        const { value, done } = await Promise.race([lines.read(), timeout]);
        if (done) throw new Error(`${name} exited`);
        buffered += value;
      } finally {
        clearTimeout(timer);
      }
    }
    const at = buffered.indexOf("\n");
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return line;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await writer.close().catch(() => {});
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await child.status;
    clearTimeout(timer);
    await lines.cancel().catch(() => {});
  };
  try {
    for (let line = ""; line !== "ready";) line = await nextLine(60_000);
  } catch (error) {
    child.kill("SIGKILL");
    await stop();
    throw error;
  }
  let queue: Promise<unknown> = Promise.resolve();
  const command = (line: string): Promise<string> => {
    const answer = queue.then(async () => {
      await writer.write(new TextEncoder().encode(line + "\n"));
      const reply = await nextLine(600_000);
      if (!reply.startsWith("ok")) throw new Error(`${name}: ${line} → ${reply}`);
      return reply;
    });
    queue = answer.catch(() => {});
    return answer;
  };
  return { command, stop };
}
