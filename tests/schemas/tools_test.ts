/** `nxflow inspect` and `nxflow encode`, run as the real CLI in a subprocess. */
import assert from "node:assert/strict";
import { parseJsonForm } from "../../schemas/mod.ts";
import { REPO_ROOT, VECTORS_DIR } from "../_harness/vectors.ts";

async function nxflow(args: string[], stdin?: Uint8Array) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("mod.ts", REPO_ROOT).pathname, ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: out.stdout,
    text: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
} // deno-fmt-ignore

Deno.test("nxflow inspect --dir prints every golden vector decoded and the other files as broken, and goes on", async () => {
  const { code, text } = await nxflow(["inspect", "--dir", VECTORS_DIR.pathname]);
  const lines = text.trim().split("\n").map((l) => parseJsonForm(l) as Record<string, unknown>);
  const bins = lines.filter((l) => String(l.source).endsWith(".bin"));
  assert.equal(bins.length, 21);
  for (const line of bins) assert.ok(line.message && !line.error, `${line.source} decoded`);
  const ev44 = bins.find((l) => String(l.source).endsWith("/ev44.bin"))!;
  assert.deepEqual((ev44.message as Record<string, unknown>).reference_time, [1700000000000000000n, 1700000000071428571n]);
  const others = lines.filter((l) => !String(l.source).endsWith(".bin"));
  assert.ok(others.length >= 2 && others.every((l) => typeof l.error === "string"));
  assert.equal(code, 1);
});

Deno.test("nxflow encode writes a message that nxflow inspect reads back with exact 64-bit integers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const json = `{"name":"chopper1","timestamps":[18446744073709551615,0,1],"sequence_counter":9007199254740993}`;
    await Deno.writeTextFile(`${dir}/in.json`, json);
    const encoded = await nxflow(["encode", "tdct", "--in", `${dir}/in.json`, "--out", `${dir}/msg.bin`]);
    assert.equal(encoded.code, 0, encoded.stderr);
    const inspected = await nxflow(["inspect", "--file", `${dir}/msg.bin`]);
    assert.equal(inspected.code, 0);
    assert.deepEqual((parseJsonForm(inspected.text) as Record<string, unknown>).message, parseJsonForm(json));
    const piped = await nxflow(["inspect", "--format", "table"], await Deno.readFile(`${dir}/msg.bin`));
    assert.match(piped.text, /stdin\s+\d+\s+tdct\s+\{"name":"chopper1"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nxflow encode refuses a message without a required field and an unknown schema", async () => {
  const missing = await nxflow(
    ["encode", "ev44"],
    new TextEncoder().encode(`{"reference_time":[1],"reference_time_index":[0]}`),
  );
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Event44Message.source_name: required field is missing/);
  assert.equal(missing.stdout.length, 0);
  const unknown = await nxflow(["encode", "zz99"], new TextEncoder().encode("{}"));
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown schema id "zz99"/);
}); // deno-fmt-ignore
