/**
 * The native event queue of the CA client (`ca_queue.c`; `ca_client.ts` says why it exists): builds it with the
 * machine's C compiler on first use into nxflow's cache folder (`$NXFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/nxflow`,
 * else `~/.cache/nxflow`), under a name holding a hash of the source, so a changed source is built again. It needs
 * `cc` (Debian: `gcc`) once per machine and version, and nothing from EPICS but the libca the client loads anyway
 * (no headers: the source declares what it uses). A release carries it prebuilt in `$NXFLOW_LIB_DIR`.
 *
 * @module
 */
import { join } from "node:path";

const SOURCE = new URL("./ca_queue.c", import.meta.url);
/** the libca soname the queue links (it reads a channel's user pointer with `ca_puser`). */
export const LIBCA = "libca.so.4.13.5";

/** The queue's symbols (see `ca_queue.c`). */
export const QUEUE_SYMBOLS = {
  nxq_event_callback: { parameters: [], result: "pointer" },
  nxq_connection_callback: { parameters: [], result: "pointer" },
  nxq_pending: { parameters: [], result: "usize" },
  nxq_wait: { parameters: ["i32"], result: "usize", nonblocking: true },
  nxq_wake: { parameters: [], result: "void" },
  nxq_drain: { parameters: ["buffer", "usize"], result: "usize" },
  nxq_dropped: { parameters: [], result: "u64" },
} as const;

/** The loaded queue library. */
export type QueueLibrary = Deno.DynamicLibrary<typeof QUEUE_SYMBOLS>;

function cacheRoot(): string {
  const explicit = Deno.env.get("NXFLOW_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "nxflow");
  const home = Deno.env.get("HOME");
  if (!home) throw new Error("Cannot build the CA event queue: neither NXFLOW_CACHE_DIR nor HOME is set");
  return join(home, ".cache", "nxflow");
}

/** 64-bit FNV-1a of the text, as hex: names the build of one source. */
function hash(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

/**
 * Returns the path of the built queue library, building it first if needed (synchronously: once per machine, about
 * 0.2 s). Safe when several processes build at once: each compiles to its own file and renames it into place.
 * Throws an `Error` naming the cause when there is no C compiler or the build fails.
 */
export function ensureCaQueue(): string {
  const source = Deno.readTextFileSync(SOURCE);
  const dir = join(cacheRoot(), "lib");
  const name = `libnxflow_ca_queue-${hash(source)}.so`;
  const path = join(dir, name);
  const prebuilt = Deno.env.get("NXFLOW_LIB_DIR");
  for (const built of prebuilt ? [join(prebuilt, name), path] : [path]) {
    try {
      if (Deno.statSync(built).isFile) return built;
    } catch {
      // not built yet
    }
  }
  Deno.mkdirSync(dir, { recursive: true });
  const temporary = `${path}.${Deno.pid}.${crypto.randomUUID()}`;
  const args = ["-O2", "-shared", "-fPIC", "-o", temporary, SOURCE.pathname, `-l:${LIBCA}`, "-lpthread"];
  let result: Deno.CommandOutput;
  try {
    result = new Deno.Command("cc", { args, stdout: "piped", stderr: "piped" }).outputSync();
  } catch (error) {
    throw new Error(`Cannot build the CA event queue: no C compiler "cc" (install gcc): ${error}`, { cause: error });
  }
  if (!result.success) {
    Deno.removeSync(temporary, { recursive: true }); // recursive: no error when cc left no file
    const why = new TextDecoder().decode(result.stderr).trim();
    throw new Error(`Cannot build the CA event queue (cc ${args.join(" ")}): ${why}`);
  }
  Deno.renameSync(temporary, path);
  return path;
}

/** Loads the queue library at `path` (from {@linkcode ensureCaQueue}); throws an `Error` when it cannot. */
export function loadCaQueue(path: string): QueueLibrary {
  try {
    return Deno.dlopen(path, QUEUE_SYMBOLS);
  } catch (error) {
    throw new Error(`Cannot load the CA event queue ${path}: ${error}`, { cause: error });
  }
}
