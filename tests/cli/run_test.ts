import assert from "node:assert/strict";
import { runFilename, withTitle } from "../../actors/cli/run.ts";
import { SYSTEM_FILES } from "../../actors/common/system/defaults.ts";

Deno.test("run start's --title replaces the title dataset of the shipped structure's NXentry, or adds one", async () => {
  const shipped = await Deno.readTextFile(SYSTEM_FILES.structure);
  const entry = (text: string) => JSON.parse(text).children[0];
  const titles = (text: string) =>
    entry(text).children.filter((c: { config?: { name?: string } }) => c.config?.name === "title");
  assert.deepEqual(titles(withTitle(shipped, "sample A")).map((t: { config: unknown }) => t.config), [
    { name: "title", values: "sample A", dtype: "string" },
  ]);
  const bare = JSON.stringify({
    children: [{ type: "group", name: "e", attributes: [{ name: "NX_class", values: "NXentry" }] }],
  });
  assert.equal(titles(withTitle(bare, "x")).length, 1);
  assert.throws(() => withTitle(JSON.stringify({ children: [] }), "x"), /no NXentry group/);
});

Deno.test("a run's default file name is its UTC start time", () => {
  assert.equal(runFilename(Date.UTC(2026, 11, 5, 12, 15, 0, 123)), "run_20261205T121500Z.nxs");
});
