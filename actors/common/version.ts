/**
 * The version that `nxflow --version` prints and status messages carry: `0.1.0+<commit>` (see
 * `actors/common/build_info.ts` for where the commit comes from in a checkout, a release and the binary).
 *
 * @module
 */
import { COMMIT } from "./build_info.ts";

export { BASE_VERSION, COMMIT, VERSION } from "./build_info.ts";

/** The git commit this nxflow was built from, or `unknown`. */
export function gitCommit(): Promise<string> {
  return Promise.resolve(COMMIT);
}
