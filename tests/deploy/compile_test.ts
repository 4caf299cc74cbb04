/**
 * The compiled binary (`deno task compile`): every module a Worker loads by URL and every data
 * file read at run time is embedded. Checked twice: on the include list (a dry run) and on `deno compile`'s own
 * "Embedded Files" listing. Without a real `denort` the compile uses the plain `deno` runtime as its base (npm's
 * `@deno/linux-x64-glibc`, or `$DENORT_BIN`), which embeds the same files but cannot run them; running the binary
 * (`--version`) needs `DENORT_BIN` and is skipped, saying so, without it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { compileArgs, compileIncludes, writeBuildInfo } from "../../scripts/compile.ts";
import { cacheRoot } from "../../actors/common/local_kafka/install.ts";
import { denoRuntime } from "../../scripts/release/deno_runtime.ts";
import { VERSION } from "../../actors/common/build_info.ts";
import denoJson from "../../deno.json" with { type: "json" };

const ROOT = new URL("../../", import.meta.url).pathname;

function walk(dir: string): string[] {
  return [...Deno.readDirSync(join(ROOT, dir))].flatMap((e) =>
    e.isDirectory ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]
  );
}

/** What must be embedded, found from the code itself rather than from compile.ts's rule. */
function required(): Set<string> {
  const files = walk("actors");
  const need = new Set<string>(["actors/runtime/worker_main.ts", "dist/build_info.json"]);
  for (const f of files) {
    if (!f.endsWith(".ts")) need.add(f); // data read at run time (the pinned jar list)
    const text = Deno.readTextFileSync(join(ROOT, f));
    if (/^export default defineActor</m.test(text)) need.add(f); // a Worker module
    for (const m of text.matchAll(/import\("(\.[^"]+\.ts)"\)/g)) need.add(join(f, "..", m[1])); // loaded on demand
    for (const m of text.matchAll(/new URL\("([^"]+\.[a-z]+)", import\.meta\.url\)/g)) need.add(join(f, "..", m[1]));
  }
  const exists = (f: string) => {
    try {
      return Deno.statSync(join(ROOT, f)).isFile;
    } catch {
      return false; // a URL in an example comment
    }
  };
  return new Set([...need].filter((f) => f === "dist/build_info.json" || exists(f)));
}

/** Paths of `deno compile`'s "Embedded Files" tree (directories embedded whole end in `/*`). */
function embedded(listing: string): string[] {
  const paths: string[] = [];
  const stack: string[] = [];
  for (const line of listing.split("\n")) { // NO_COLOR=1: plain text
    const m = /^([│ ]*)[├└]─[─┬] (.+?)(?: \([\d.]+[KMG]?B.*\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 2;
    stack.length = depth;
    stack.push(m[2]);
    paths.push(stack.join("/"));
  }
  return paths;
}

Deno.test("the compile embeds every Worker module, module loaded on demand and data file (dry run and deno compile)", async () => {
  const includes = new Set([...compileIncludes(), "mod.ts"]); // mod.ts: the entry point
  const need = required();
  assert.ok(need.has("actors/forwarder/pv_monitor.ts"));
  assert.ok(need.has("actors/common/local_kafka/kafka-4.1.1.jars"));
  for (const f of need) assert.ok(includes.has(f), `dry run: --include ${f}`);

  const base = Deno.env.get("DENORT_BIN") ?? await denoRuntime(cacheRoot(), console.log);
  await writeBuildInfo(); // as deno task compile does first (a fresh clone has no dist/)
  const tmp = await Deno.makeTempDir({ prefix: "nxflow-compile-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(join(tmp, "nxflow")),
      cwd: ROOT,
      env: { DENORT_BIN: base, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const listing = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.ok(out.success, listing.slice(-3000));
    const paths = embedded(listing.slice(listing.indexOf("Embedded Files")));
    const files = paths;
    const whole = files.filter((f) => f.endsWith("/*")).map((f) => f.slice(0, -1)); // folders embedded entirely
    const isEmbedded = (f: string) => files.includes(f) || whole.some((dir) => f.startsWith(dir));
    for (const f of need) assert.ok(isEmbedded(f), `embedded: ${f}`);
    for (const spec of Object.values(denoJson.imports)) {
      const name = /^npm:\/?((?:@[^/]+\/)?[^@/]+)/.exec(spec)?.[1];
      if (!name) continue;
      const [scope, pkg] = name.startsWith("@") ? name.split("/") : [null, name];
      const found = paths.some((p) =>
        scope ? p.includes(`${scope}/`) && p.includes(pkg) : p.includes(`/${pkg}/`) || p.endsWith(`/${pkg}`)
      );
      assert.ok(found, `npm package ${name} is embedded`);
    }
    assert.ok(paths.some((p) => /\/h5wasm\/[\d.]+\/\*$/.test(p)), "h5wasm (with its wasm) is embedded whole");
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
});

const denort = Deno.env.get("DENORT_BIN");
Deno.test({
  name: "the compiled binary runs: --version",
  ignore: !denort && (console.log(
    "skipped: running the compiled binary needs DENORT_BIN (denort 2.9.6); dl.deno.land is unreachable here and " +
      "no registry we reach ships denort (npm @deno/linux-x64-glibc holds only deno)",
  ),
    true),
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "nxflow-binary-" });
    try {
      const built = await new Deno.Command(Deno.execPath(), { args: compileArgs(join(tmp, "nxflow")), cwd: ROOT })
        .output();
      assert.ok(built.success);
      const version = await new Deno.Command(join(tmp, "nxflow"), { args: ["--version"], stdout: "piped" }).output();
      assert.ok(new TextDecoder().decode(version.stdout).startsWith(`nxflow ${VERSION} `));
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
