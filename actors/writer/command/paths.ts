/**
 * Where a job's file goes: the pl72 `filename` confined to the writer's output prefix (kafka-to-nexus PR #698/#702:
 * an absolute name is re-rooted under the prefix), and the checks before the file is created (kafka-to-nexus never
 * overwrites a file and needs the folder to exist).
 *
 * @module
 */
import { dirname, join } from "node:path";

/**
 * A file name or output path that cannot be used. `code` is the answ status code it gives: 400 for a name that is
 * not acceptable, 500 for a path that cannot be written (the file exists, the folder is missing).
 */
export class PathError extends Error {
  /**
   * @param code the answ status code
   * @param message what is wrong, with the path
   */
  constructor(readonly code: 400 | 500, message: string) {
    super(message);
    this.name = "PathError";
  }
}

/**
 * The output path of a file name: the prefix joined with the name made relative (leading `/` removed, `.` segments
 * and repeated slashes dropped).
 *
 * @throws {PathError} (400) for an empty name, a name with a NUL character, a `..` segment, or one that names no file
 * (`/`, `.`).
 *
 * @example
 * ```ts
 * resolveOutputPath("/data", "run1/file.nxs"); // "/data/run1/file.nxs"
 * resolveOutputPath("/data", "/tmp/file.nxs"); // "/data/tmp/file.nxs"
 * resolveOutputPath("/data", "../file.nxs"); // throws PathError
 * ```
 */
export function resolveOutputPath(prefix: string, filename: string): string {
  if (filename.trim() === "") throw new PathError(400, "the file name is empty");
  if (filename.includes("\0")) {
    throw new PathError(400, `the file name ${JSON.stringify(filename)} has a NUL character`);
  }
  const segments = filename.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) {
    throw new PathError(400, `the file name must stay inside the output prefix: "${filename}" has a ".." segment`);
  }
  if (segments.length === 0) throw new PathError(400, `the file name "${filename}" names no file`);
  return join(prefix, ...segments);
}

/**
 * Checks that a file can be created at `path`: nothing exists there yet, and its folder exists.
 *
 * @throws {PathError} (500) "a file with that name already exists: <path>", "the folder <dir> does not exist",
 * "<dir> is not a folder", or the file system's own error.
 */
export async function checkOutputPath(path: string): Promise<void> {
  if (await fileInfo(path)) throw new PathError(500, `a file with that name already exists: ${path}`);
  const dir = dirname(path);
  const folder = await fileInfo(dir, true);
  if (!folder) throw new PathError(500, `the folder ${dir} does not exist`);
  if (!folder.isDirectory) throw new PathError(500, `${dir} is not a folder`);
}

/** The file's information, or null when there is no such file (or a parent is not a folder); follows links when
 * `follow`. */
async function fileInfo(path: string, follow = false): Promise<Deno.FileInfo | null> {
  try {
    return follow ? await Deno.stat(path) : await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return null;
    throw new PathError(500, `cannot check ${path}: ${(error as Error).message}`);
  }
}
