/**
 * Runs every benchmark in this folder (each `scripts/bench/*.ts` but this one) one after the other; each prints one
 * JSON line per figure. Benchmarks are not tests: nothing here fails on a slow figure.
 *
 * Usage: deno task bench [name-substring]
 */
const filter = Deno.args[0] ?? "";
const dir = new URL(".", import.meta.url);
const names = [...Deno.readDirSync(dir)]
  .filter((e) => e.isFile && e.name.endsWith(".ts") && e.name !== "run_all.ts" && e.name.includes(filter))
  .map((e) => e.name)
  .sort();
let failed = 0;
for (const name of names) {
  console.error(`# ${name}`);
  const { code } = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", new URL(name, dir).pathname] })
    .spawn().status;
  if (code !== 0) {
    console.error(`# ${name} failed with exit code ${code}`);
    failed++;
  }
}
Deno.exit(failed ? 1 : 0);
