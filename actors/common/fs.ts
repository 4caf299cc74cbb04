/**
 * Small file system helpers shared by shipped code and scripts.
 *
 * @module
 */

/** Whether `path` exists (a file, a folder or anything else `stat` finds). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
