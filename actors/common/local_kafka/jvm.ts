/**
 * Runs Kafka's Java programs: short tools (storage format, perf tests) to completion, and broker JVMs in the
 * background, either **tied** to this process (tests: the JVM is killed when this process ends, however it ends) or
 * **detached** (`deno task kafka start`: the broker outlives the command, in its own session).
 *
 * Tying works through a pipe: the JVM's shell wrapper keeps a watcher reading this process's end of a pipe; when this
 * process exits, even by SIGKILL, the pipe closes and the watcher kills the JVM.
 *
 * @module
 */
import { cacheRoot } from "./install.ts";
import { findJava } from "./java.ts";

/** A JVM running in the background. */
export interface JvmProcess {
  pid: number;
  /** resolves with the exit code once the JVM has ended (tied JVMs only; detached ones are not waited for). */
  exited: Promise<number> | null;
  /** Closes this process's end of the tie (a tied JVM still running is then killed); no-op when detached. */
  release(): Promise<void>;
}

/** Raised when a Java tool exits with an error. */
export class JavaToolError extends Error {
  override name = "JavaToolError";
}

/**
 * Runs `java -cp <classPath> <mainClass> ...args` to completion and returns its standard output. `java` is the
 * executable (an install's `java`; default: the one `findJava` picks for the cache).
 */
export async function runJavaTool(
  classPath: string,
  jvmArgs: string[],
  mainClass: string,
  args: string[],
  java?: string,
): Promise<string> {
  const out = await new Deno.Command(java ?? await findJava(cacheRoot()), {
    args: ["-cp", classPath, ...jvmArgs, mainClass, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr);
    throw new JavaToolError(`${mainClass} ${args[0] ?? ""} failed with code ${out.code}: ${(stderr || stdout).trim()}`);
  }
  return stdout;
}

// $1: the java executable; $2: file for the JVM's own stdout and stderr; the rest: java's arguments. The watcher's
// `kill` targets $$, which `exec` makes the JVM's pid.
const TIED =
  `exec 3<&0; java="$1"; out="$2"; shift 2; ( cat <&3 >/dev/null; kill -9 $$ 2>/dev/null ) & exec "$java" "$@" >>"$out" 2>&1`;
const DETACHED = `java="$1"; out="$2"; shift 2; exec "$java" "$@" >>"$out" 2>&1 </dev/null`;

/** Starts `<java> ...args` in the background with its console output appended to `consoleFile`. */
export function spawnJvm(args: string[], consoleFile: string, tied: boolean, java = "java"): JvmProcess {
  if (tied) {
    const child = new Deno.Command("bash", {
      args: ["-c", TIED, "kafka-jvm", java, consoleFile, ...args],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await child.stdin.close().catch(() => {});
    };
    return { pid: child.pid, exited: child.status.then((s) => s.code), release };
  }
  const child = new Deno.Command("setsid", {
    args: ["bash", "-c", DETACHED, "kafka-jvm", java, consoleFile, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  return { pid: child.pid, exited: null, release: () => Promise.resolve() };
}

/** Whether `pid` is a live (not zombie) process whose command line contains `marker`. */
export function processAlive(pid: number, marker: string): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes(marker);
  } catch {
    return false;
  }
}

/**
 * Signals `pid` if it is still the JVM with `marker` on its command line, and waits up to `waitMs` for it to end.
 * Returns whether it is gone.
 */
export async function signalJvm(
  jvm: { pid: number; exited?: Promise<number> | null },
  marker: string,
  signal: Deno.Signal,
  waitMs: number,
): Promise<boolean> {
  if (!processAlive(jvm.pid, marker)) return true;
  try {
    Deno.kill(jvm.pid, signal);
  } catch {
    return !processAlive(jvm.pid, marker);
  }
  const deadline = performance.now() + waitMs;
  while (performance.now() < deadline) {
    if (!processAlive(jvm.pid, marker)) {
      await jvm.exited;
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
