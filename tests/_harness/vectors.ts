/**
 * The golden FlatBuffers messages made by the Python reference package, in `shared/vectors/` beside the repository
 * (never copied into it).
 *
 * @module
 */

/** The repository root. */
export const REPO_ROOT = new URL("../../", import.meta.url);

/** The folder of golden vectors: `../shared/vectors/` from the repository root. */
export const VECTORS_DIR = new URL("../shared/vectors/", REPO_ROOT);

/** One entry of `index.json`: the Python call that made the vector, its length, identifier and hex. */
export interface VectorEntry {
  call: string;
  len: number;
  id: string;
  hex: string;
}

/** Reads `index.json`: vector name → entry. */
export async function vectorIndex(): Promise<Record<string, VectorEntry>> {
  return JSON.parse(await Deno.readTextFile(new URL("index.json", VECTORS_DIR)));
}

/** Reads the bytes of vector `<name>.bin`. */
export async function loadVector(name: string): Promise<Uint8Array> {
  return await Deno.readFile(new URL(`${name}.bin`, VECTORS_DIR));
}
