/**
 * The version and git commit that `nxflow --version` prints and status messages carry.
 *
 * The version comes from `deno.json`. The commit comes from `git` in a checkout, else from `dist/build_info.json`
 * embedded in a compiled binary (written by `scripts/compile.ts`), else `unknown`.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/** nxflow's version, from deno.json. */
export const VERSION: string = denoJson.version;

let cached: string | undefined;

/** The git commit this nxflow was built from, or `unknown`. */
export async function gitCommit(): Promise<string> {
  cached ??= await fromGit() ?? await fromBuildInfo() ?? "unknown";
  return cached;
}

async function fromBuildInfo(): Promise<string | undefined> {
  try {
    const text = await Deno.readTextFile(new URL("../../dist/build_info.json", import.meta.url));
    return (JSON.parse(text) as { commit?: string }).commit;
  } catch {
    return undefined;
  }
}

async function fromGit(): Promise<string | undefined> {
  try {
    const cwd = new URL("../..", import.meta.url).pathname;
    const out = await new Deno.Command("git", { args: ["rev-parse", "HEAD"], cwd, stdout: "piped", stderr: "null" })
      .output();
    const commit = new TextDecoder().decode(out.stdout).trim();
    if (!out.success || !commit) return undefined;
    const dirty = await new Deno.Command("git", { args: ["status", "--porcelain"], cwd, stdout: "piped" }).output();
    return new TextDecoder().decode(dirty.stdout).trim() ? `${commit}-dirty` : commit;
  } catch {
    return undefined;
  }
}
