/** A schema is its folder plus one line in `schemas/codecs.ts`: the registry and `mod.ts` follow from that line. */
import assert from "node:assert/strict";
import * as mod from "../../schemas/mod.ts";
import * as codecs from "../../schemas/codecs.ts";

const SCHEMAS_DIR = new URL("../../schemas/", import.meta.url);

Deno.test("every schema folder's codec is registered by its file identifier and exported by schemas/mod.ts", async () => {
  const folders: string[] = [];
  for await (const e of Deno.readDir(SCHEMAS_DIR)) {
    if (e.isDirectory && (await Deno.stat(new URL(`${e.name}/codec.ts`, SCHEMAS_DIR)).catch(() => null))) {
      folders.push(e.name);
    }
  }
  assert.ok(folders.length >= 20, `schema folders: ${folders.length}`);
  for (const folder of folders) {
    const exports = await import(new URL(`${folder}/codec.ts`, SCHEMAS_DIR).href);
    const [name, codec] = Object.entries(exports).find(([, v]) => (v as { id?: unknown })?.id === folder) ?? [];
    assert.ok(codec, `schemas/${folder}/codec.ts exports the codec of "${folder}"`);
    assert.equal(mod.SCHEMAS.get(folder), codec, `"${folder}" is registered`);
    assert.equal((mod as Record<string, unknown>)[name!], codec, `schemas/mod.ts exports ${name}`);
  }
  assert.equal(mod.SCHEMAS.size, Object.keys(codecs).length, "one codec per line of codecs.ts");
});
