/**
 * Helpers of the deployment tests: running a program with its own environment while collecting its output lines, a
 * PATH with no Java and no Maven on it, and asking an admin endpoint for JSON.
 */
import { join } from "node:path";
import { collectLines } from "../_harness/process.ts";
import { waitFor } from "../_harness/wait.ts";

/** A running program whose stdout and stderr lines are collected. */
export interface Running {
  child: Deno.ChildProcess;
  lines: string[];
  /** Waits for a line matching `pattern` and returns it. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILLs the program if it still runs and waits for its end. */
  reap(): Promise<void>;
}

/** Starts `command args` with `env` added to (and `unset` removed from) this process's environment. */
export function spawnWithEnv(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; unset?: string[]; cwd?: string } = {},
): Running {
  const env = { ...Deno.env.toObject(), ...options.env };
  for (const name of options.unset ?? []) delete env[name];
  const child = new Deno.Command(command, {
    args,
    env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = collectLines(child);
  return {
    child,
    lines,
    line: (pattern, timeoutMs = 30_000) =>
      waitFor(`a line matching ${pattern}`, () => lines.find((l) => pattern.test(l)), timeoutMs).catch((error) => {
        throw new Error(`${(error as Error).message}; output so far:\n${lines.slice(-40).join("\n")}`);
      }),
    reap: async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // it had ended already
      }
      await child.status;
    },
  };
}

const NO_JAVA =
  /^(java|javac|javadoc|jar|jarsigner|jshell|jcmd|jfr|jinfo|jmap|jps|jrunscript|jstack|jstat|keytool|mvn.*)$/;

/**
 * A folder of links to every program of the PATH except Java's and Maven's (and `deno` itself), to use as the
 * PATH of a child that must find neither.
 */
export async function pathWithoutJava(dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (const folder of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(folder)];
    } catch {
      continue;
    }
    for (const e of entries) {
      if (NO_JAVA.test(e.name)) continue;
      await Deno.symlink(join(folder, e.name), join(dir, e.name)).catch(() => {});
    }
  }
  await Deno.remove(join(dir, "deno")).catch(() => {});
  await Deno.symlink(Deno.execPath(), join(dir, "deno"));
  return dir;
}

/** Whether `program` is found on `path`. */
export function onPath(program: string, path: string): boolean {
  return path.split(":").some((folder) => {
    try {
      Deno.statSync(join(folder, program));
      return true;
    } catch {
      return false;
    }
  });
}

/** GETs `url` and returns its JSON body (throws on a non-2xx status). */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return await response.json() as T;
}
