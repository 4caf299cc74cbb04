/**
 * The independent reader of the file writer's tests: Debian's h5py (python3-h5py, HDF5 1.10.8; installed with apt-get
 * on first use when missing) reads a file and reports it as JSON (see `h5_to_json.py`). Reading with HDF5 1.10 also
 * checks that our files stay readable by the HDF5 1.10 readers still common at facilities.
 *
 * @example
 * ```ts
 * const file = await readH5("/tmp/run.nxs");
 * assert.deepEqual(file.objects["/entry/title"].value, "Loki commissioning");
 * ```
 *
 * @module
 */
import { aptInstall } from "./apt.ts";

/** One group or dataset, as h5py reports it. */
export interface H5Object {
  kind: "group" | "dataset";
  attrs: Record<string, unknown>;
  /** groups: the names of the members. */
  children?: string[];
  /** datasets: numpy dtype name, "string" (variable length) or "S<n>" (fixed length). */
  dtype?: string;
  shape?: number[];
  /** `null` entries are unlimited. */
  maxshape?: (number | null)[] | null;
  chunks?: number[] | null;
  /** integers beyond 2^53 are decimal strings. */
  value?: unknown;
}

/** A whole file. */
export interface H5File {
  /** by absolute path; a hard-linked object appears once, under the path h5py visited first. */
  objects: Record<string, H5Object>;
  /** object address by every link path: two paths with one address are hard links to one object. */
  ids: Record<string, number>;
  libver: [string, string];
}

/** The Python that has h5py: `$NXFLOW_H5PY_PYTHON`, else Debian's `/usr/bin/python3`. */
export function h5pyPython(): string {
  return Deno.env.get("NXFLOW_H5PY_PYTHON") ?? "/usr/bin/python3";
}

let installed: Promise<void> | null = null;

/** Makes sure h5py is there (Debian's python3-h5py), once per process. */
function ensureH5py(): Promise<void> {
  installed ??= (async () => {
    const probe = await new Deno.Command(h5pyPython(), { args: ["-c", "import h5py"], stderr: "null" }).output();
    if (!probe.success) await aptInstall("python3-h5py");
  })();
  return installed;
}

/** Reads a file with h5py; rejects with h5py's error when it cannot. */
export async function readH5(path: string): Promise<H5File> {
  await ensureH5py();
  const script = new URL("./h5_to_json.py", import.meta.url).pathname;
  const out = await new Deno.Command(h5pyPython(), { args: [script, path], stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join("\n");
    throw new Error(`h5py cannot read ${path}: ${err}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The object at `path`; throws with the file's paths listed when it is missing. */
export function objectAt(file: H5File, path: string): H5Object {
  const found = file.objects[path] ?? objectByLink(file, path);
  if (!found) throw new Error(`no object at ${path}; the file has ${Object.keys(file.objects).join(", ")}`);
  return found;
}

function objectByLink(file: H5File, path: string): H5Object | undefined {
  const id = file.ids[path];
  if (id === undefined) return undefined;
  const original = Object.keys(file.objects).find((p) => file.ids[p] === id);
  return original ? file.objects[original] : undefined;
}
