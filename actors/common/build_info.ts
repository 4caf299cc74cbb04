/**
 * What nxflow was built from, for traceability: the version of `deno.json` and the git commit, joined as
 * `0.1.0+<commit>` (a semver build suffix). Every role's x5f2 status (`software_version`), `GET /health`, the first
 * log line, `nxflow --version` and `nxflow_build_info` carry it.
 *
 * The commit is found once, at import, in this order:
 * 1. `NXFLOW_BUILD_COMMIT` in the environment (the main thread sets it, so Workers need not ask git again), only when
 *    it names this tree: another nxflow started from this process's environment (a release, another checkout)
 *    finds its own;
 * 2. `build_info.json` at the top of the tree, baked into a release by `deno task release`;
 * 3. `git` in a checkout (`.git` beside `deno.json`), with `.dirty` when the tree has uncommitted changes;
 * 4. `dist/build_info.json`, embedded into the compiled binary by `deno task compile`;
 * 5. else `unknown`.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/** The build record `deno task release` and `deno task compile` write (`build_info.json`). */
export interface BuildInfo {
  version: string;
  commit: string;
  builtAt: string;
}

/** nxflow's version from deno.json, without the commit. */
export const BASE_VERSION: string = denoJson.version;

const ROOT = new URL("../../", import.meta.url);
const COMMIT_ENV = "NXFLOW_BUILD_COMMIT";

function fromFile(url: URL): string | undefined {
  try {
    const commit = (JSON.parse(Deno.readTextFileSync(url)) as Partial<BuildInfo>).commit;
    return typeof commit === "string" && commit ? commit : undefined;
  } catch {
    return undefined;
  }
}

function fromGit(): string | undefined {
  try {
    Deno.statSync(new URL(".git", ROOT));
    const cwd = ROOT.pathname;
    const head = new Deno.Command("git", {
      args: ["rev-parse", "--short=12", "HEAD"],
      cwd,
      stdout: "piped",
      stderr: "null",
    })
      .outputSync();
    const commit = new TextDecoder().decode(head.stdout).trim();
    if (!head.success || !commit) return undefined;
    const status = new Deno.Command("git", { args: ["status", "--porcelain"], cwd, stdout: "piped", stderr: "null" })
      .outputSync();
    return new TextDecoder().decode(status.stdout).trim() ? `${commit}.dirty` : commit;
  } catch {
    return undefined;
  }
}

/** `<commit> <tree>`: the commit, for this tree only. */
function fromEnv(): string | undefined {
  try {
    const [commit, tree] = (Deno.env.get(COMMIT_ENV) ?? "").split(" ");
    return commit && tree === ROOT.href ? commit : undefined;
  } catch {
    return undefined;
  }
}

function resolveCommit(): string {
  const commit = fromEnv() ?? fromFile(new URL("build_info.json", ROOT)) ?? fromGit() ??
    fromFile(new URL("dist/build_info.json", ROOT)) ?? "unknown";
  try {
    Deno.env.set(COMMIT_ENV, `${commit} ${ROOT.href}`);
  } catch {
    // no env permission: each Worker finds it again
  }
  return commit;
}

/** The git commit nxflow was built from (12 hex digits, `.dirty` for a modified checkout), or `unknown`. */
export const COMMIT: string = resolveCommit();

/** The full traceable version, `<deno.json version>+<commit>`, e.g. `0.1.0+4cf074839bb7`. */
export const VERSION: string = `${BASE_VERSION}+${COMMIT}`;

/** The build record of this tree, as the release and compile scripts write it. */
export function buildInfo(): BuildInfo {
  return { version: BASE_VERSION, commit: COMMIT, builtAt: new Date().toISOString() };
}
