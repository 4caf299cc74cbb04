/** The JSON form printed by nxflow equals what flatc 25.12.19 (`--json --strict-json`) prints for the same bytes. */
import assert from "node:assert/strict";
import { decodeAny, parseJsonForm, SCHEMAS, toJsonAny } from "../../schemas/mod.ts";
import { listSchemaSources } from "../../scripts/schemas/regenerate.ts";
import { ensureVenv, SCHEMA_TOOLS, venvBin } from "../../scripts/python_venv.ts";
import { randomMessage, Rng } from "../_harness/random_message.ts";
import { loadVector, vectorIndex } from "../_harness/vectors.ts";

async function flatcJson(id: string, bytes: Uint8Array): Promise<unknown> {
  await ensureVenv(SCHEMA_TOOLS);
  const source = (await listSchemaSources()).find((s) => s.id === id)!;
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/msg.bin`, bytes);
    const args = [
      "--json",
      "--strict-json",
      "--raw-binary",
      "-o",
      dir,
      `${source.dir}${source.fbs}`,
      "--",
      `${dir}/msg.bin`,
    ];
    const out = await new Deno.Command(venvBin("flatc"), { args, stdout: "piped", stderr: "piped" }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return parseJsonForm(await Deno.readTextFile(`${dir}/msg.json`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
} // deno-fmt-ignore

/** Deep equality where numbers may differ in the 7th significant digit (flatc prints float32 with 6 digits). */
function close(a: unknown, b: unknown, path: string): void {
  if (typeof a === "number" && typeof b === "number") {
    assert.ok(a === b || Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)), `${path}: ${a} vs ${b}`);
  } else if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${path} keys`);
    for (const k of Object.keys(a)) close((a as never)[k], (b as never)[k], `${path}.${k}`);
  } else assert.equal(a, b, path);
}

Deno.test("JSON form of every golden vector equals flatc --json --strict-json", async () => {
  for (const name of Object.keys(await vectorIndex())) {
    const bytes = await loadVector(name);
    close(parseJsonForm(toJsonAny(bytes)), await flatcJson(decodeAny(bytes).id, bytes), name);
  }
});

Deno.test("JSON form of random nxflow messages of every schema equals flatc --json --strict-json", async () => {
  const rng = new Rng(20261122);
  for (const [id, codec] of SCHEMAS) {
    const bytes = codec.encode(randomMessage(codec.layout, rng, 1 + rng.int(5), { maxLength: 4 }) as never);
    close(parseJsonForm(toJsonAny(bytes)), await flatcJson(id, bytes), id);
  }
});
