/**
 * `deno task compile`: builds the single `nxflow` binary into `dist/` for deployment (Ansible copies it with a
 * systemd unit). Every module a Worker loads is passed with `--include`, since `deno compile` only follows static
 * imports: the generic worker entry and every actor module (the files under `actors/` that call `defineActor`).
 * `dist/build_info.json` carries the git commit that `nxflow --version` prints.
 *
 * `deno compile` needs the `denort` base runtime of this Deno version: it downloads it from dl.deno.land unless the
 * environment variable `DENORT_BIN` names a local copy (air-gapped build hosts).
 *
 * Usage: deno task compile [--target TRIPLE] [--output PATH]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { buildInfo as currentBuild } from "../actors/common/build_info.ts";

const { values } = parseArgs({ args: Deno.args, options: { target: { type: "string" }, output: { type: "string" } } });
const root = new URL("../", import.meta.url);
const rel = (url: URL) => url.pathname.slice(root.pathname.length);

function actorModules(dir: URL): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) found.push(...actorModules(url));
    else if (entry.name.endsWith(".ts") && /^export default defineActor</m.test(Deno.readTextFileSync(url))) {
      found.push(rel(url));
    }
  }
  return found;
}

await Deno.mkdir(new URL("dist/", root), { recursive: true });
const buildInfo = currentBuild();
await Deno.writeTextFile(new URL("dist/build_info.json", root), JSON.stringify(buildInfo, null, 2) + "\n");

const includes = [
  "actors/runtime/worker_main.ts",
  ...actorModules(new URL("actors/", root)).sort(),
  "actors/forwarder/ca_queue.c",
  "dist/build_info.json",
];
const output = values.output ?? "dist/nxflow";
const args = [
  "compile",
  "-A",
  "--output",
  output,
  ...(values.target ? ["--target", values.target] : []),
  ...includes.flatMap((f) => ["--include", f]),
  "mod.ts",
];
console.error(`deno ${args.join(" ")}`);
const { code } = await new Deno.Command(Deno.execPath(), { args, cwd: root.pathname }).spawn().status;
if (code !== 0) {
  console.error(
    `\ndeno compile failed (exit ${code}). If it could not download the denort base runtime, point DENORT_BIN at a ` +
      `denort ${Deno.version.deno} binary for the target and run again.`,
  );
  Deno.exit(code);
}
console.error(`built ${output} (${buildInfo.version}, commit ${buildInfo.commit}); try: ${output} --version`);
