/**
 * Runs the nxflow CLI as a real subprocess, as a user would (`deno run -A mod.ts <command> ...`), and collects its
 * output lines as they come.
 */
import { waitFor } from "./runtime.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;

/** A running nxflow process. */
export interface NxflowProcess {
  child: Deno.ChildProcess;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** Waits for a line matching the pattern and returns it. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Starts `nxflow <args>` in the background. */
export function spawnNxflow(args: string[]): NxflowProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const lines = collectLines(child);
  return {
    child,
    lines,
    line: (pattern, timeoutMs = 15_000) =>
      waitFor(`a line matching ${pattern}`, () => lines.find((l) => pattern.test(l)), timeoutMs),
  };
}

/** The stdout and stderr lines of a child spawned with both piped, filled in as they come. */
export function collectLines(child: Deno.ChildProcess): string[] {
  const lines: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    }
    if (rest) lines.push(rest);
  };
  void collect(child.stdout);
  void collect(child.stderr);
  return lines;
}

/** Makes sure a spawned nxflow has ended (kills it if a test failed before it stopped by itself). */
export async function reap(p: NxflowProcess): Promise<void> {
  try {
    p.child.kill("SIGKILL");
  } catch {
    // it had ended already
  }
  await p.child.status;
}

/** Runs `nxflow <args>` to the end. */
export async function runNxflow(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", MOD, ...args], stdin: "null" }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}
