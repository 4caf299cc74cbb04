/**
 * `deno task compile`: builds the single `nxflow` binary into `dist/` for deployment (Ansible can install it like a
 * release). `deno compile` follows only static imports, so everything loaded by URL is passed with `--include`:
 * every file under `actors/` (the generic worker entry, every actor module, and data files), and
 * `dist/build_info.json`, whose commit the binary's version carries.
 *
 * `deno compile` needs the `denort` base runtime of this Deno version: `DENORT_BIN`, or a
 * `$DENO_DIR/dl/release/v<version>/denort-<target>.zip`, else it downloads it from dl.deno.land. No registry we reach
 * ships denort (npm's `@deno/linux-x64-glibc` holds only `deno`), so where dl.deno.land is unreachable, set
 * `DENORT_BIN`.
 *
 * Usage: deno task compile [--target TRIPLE] [--output PATH]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { buildInfo } from "../actors/common/build_info.ts";

const ROOT = new URL("../", import.meta.url);
const rel = (url: URL) => url.pathname.slice(ROOT.pathname.length);

/** Every file under `dir`, relative to the repository. */
function filesUnder(dir: URL): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) found.push(...filesUnder(url));
    else found.push(rel(url));
  }
  return found;
}

/**
 * Test data of npm packages that makes Deno 2.9.6's compile overflow its stack (denoland/deno#36746: bintrees 1.0.2,
 * a dependency of prom-client, ships 2.3 MB of test files); left out, whatever the module cache's location.
 */
const STACK_OVERFLOW_EXCLUDES = [
  `${denoDir()}/npm/registry.npmjs.org/bintrees/1.0.2/test`,
];

function denoDir(): string {
  const out = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped", stderr: "null" })
    .outputSync();
  return (JSON.parse(new TextDecoder().decode(out.stdout)) as { denoDir: string }).denoDir;
}

/** What the binary must embed beyond mod.ts's static imports (each becomes an `--include`). */
export function compileIncludes(): string[] {
  return [
    ...filesUnder(new URL("actors/", ROOT)),
    "dist/build_info.json",
  ]
    .sort();
}

/** The `deno compile` arguments for `output` (and `target`, default this machine's). */
export function compileArgs(output: string, target?: string): string[] {
  return [
    "compile",
    "-A",
    "--no-check",
    "--output",
    output,
    ...(target ? ["--target", target] : []),
    ...compileIncludes().flatMap((f) => ["--include", f]),
    ...STACK_OVERFLOW_EXCLUDES.flatMap((f) => ["--exclude", f]),
    "mod.ts",
  ];
}

/** Writes `dist/build_info.json` (the version and commit the binary reports), which the compile embeds. */
export async function writeBuildInfo(): Promise<ReturnType<typeof buildInfo>> {
  await Deno.mkdir(new URL("dist/", ROOT), { recursive: true });
  const info = buildInfo();
  await Deno.writeTextFile(new URL("dist/build_info.json", ROOT), JSON.stringify(info, null, 2) + "\n");
  return info;
}

/** Writes `dist/build_info.json` and runs `deno compile`; resolves to its exit code. */
export async function compile(output: string, target?: string, env: Record<string, string> = {}): Promise<number> {
  const info = await writeBuildInfo();
  const args = compileArgs(output, target);
  console.error(`deno compile ... ${output} (${compileIncludes().length} files included)`);
  const { code } = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT.pathname, env }).spawn().status;
  if (code !== 0) {
    console.error(
      `\ndeno compile failed (exit ${code}). If it could not download the denort base runtime, point DENORT_BIN at a ` +
        `denort ${Deno.version.deno} binary for the target and run again (no registry we reach ships denort).`,
    );
  } else console.error(`built ${output} (${info.version}, commit ${info.commit}); try: ${output} --version`);
  return code;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { target: { type: "string" }, output: { type: "string" } },
  });
  Deno.exit(await compile(values.output ?? "dist/nxflow", values.target));
}
