/**
 * Child processes that nxflow starts by re-entering its own program: a hidden first argument `__child <name>` makes
 * `mod.ts` (or the compiled binary) run the child program `name` instead of the CLI. So a child runs from the same
 * code in every form nxflow takes: `deno run mod.ts` from a checkout or a release, or the compiled binary, which has
 * no separate files to `deno run`. Children are registered here, one line each.
 *
 * @module
 */

/** The hidden first argument that selects a child program. */
export const CHILD_FLAG = "__child";

/** The child programs: name → module whose `runChild(args)` resolves to the exit code. */
const CHILDREN: Record<string, () => Promise<{ runChild(args: string[]): Promise<number> }>> = {
  "ca": () => import("../forwarder/ca_process.ts"),
};

const MOD = new URL("../../mod.ts", import.meta.url);

/**
 * The command line that starts child `name` with `args`: `<binary> __child <name> ...args` in a compiled binary,
 * else `<deno> run --quiet --no-lock <permissions> <mod.ts> __child <name> ...args`.
 */
export function childCommand(name: string, args: string[], permissions: string[]): { command: string; args: string[] } {
  if (!(name in CHILDREN)) throw new RangeError(`No child program "${name}"`);
  const own = [CHILD_FLAG, name, ...args];
  if (Deno.build.standalone) return { command: Deno.execPath(), args: own };
  return { command: Deno.execPath(), args: ["run", "--quiet", "--no-lock", ...permissions, MOD.href, ...own] };
}

/** Runs the child program that `argv` selects and resolves to its exit code, or `null` when argv is no child's. */
export async function runChildProgram(argv: string[]): Promise<number | null> {
  if (argv[0] !== CHILD_FLAG) return null;
  const load = CHILDREN[argv[1]];
  if (!load) {
    console.error(`nxflow: no child program "${argv[1]}"`);
    return 2;
  }
  return await (await load()).runChild(argv.slice(2));
}
