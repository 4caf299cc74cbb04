/** The configuration file's checks that need no process: a role section must be an object. */
import assert from "node:assert/strict";
import { checkConfig } from "../../actors/cli/config.ts";

Deno.test("a role section that is not an object is an error naming the role, not the role on its defaults", () => {
  for (const section of [5, "on", true, null, [], [{}]]) {
    assert.throws(
      () => checkConfig({ roles: { histogrammer: section } }),
      /config\.roles\.histogrammer: must be an object of the role's settings/,
      JSON.stringify(section),
    );
  }
  assert.ok("histogrammer" in checkConfig({ roles: { histogrammer: {} } }).roles);
});
