/**
 * Traceability: the version every part reports is `<deno.json version>+<git commit>`: `nxflow --version`, and the
 * `version` every role hands to the actors that build its x5f2 status messages (`software_version`). The first log
 * line and `GET /health` are checked by fresh_setup_test.ts; the release and the binary by their own tests.
 */
import assert from "node:assert/strict";
import { BASE_VERSION, COMMIT, VERSION } from "../../actors/common/build_info.ts";
import { ROLES } from "../../actors/roles.ts";
import type { ChildSpec, SupervisorSpec } from "../../actors/runtime/child_spec.ts";
import { runNxflow } from "../_harness/process.ts";

Deno.test("the version is <deno.json version>+<commit of this checkout>", async () => {
  assert.match(COMMIT, /^[0-9a-f]{12}(\.dirty)?$/);
  assert.equal(VERSION, `${BASE_VERSION}+${COMMIT}`);
  const head = await new Deno.Command("git", { args: ["rev-parse", "HEAD"], stdout: "piped" }).output();
  assert.ok(new TextDecoder().decode(head.stdout).startsWith(COMMIT.slice(0, 12)));
  const { stdout } = await runNxflow(["--version"]);
  assert.ok(stdout.startsWith(`nxflow ${VERSION} (deno `), stdout);
});

function versions(node: SupervisorSpec | ChildSpec, found: unknown[]): unknown[] {
  if ("children" in node && Array.isArray(node.children)) {
    for (const child of node.children) versions(child as SupervisorSpec | ChildSpec, found);
  }
  const config = (node as { config?: Record<string, unknown> }).config;
  const walk = (value: unknown, key: string) => {
    if (key === "version") found.push(value);
    else if (value && typeof value === "object" && !(value instanceof URL)) {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  if (config) walk(config, "");
  return found;
}

Deno.test("every role that sends x5f2 statuses gives its actors the full version", () => {
  const kafka = { brokers: ["127.0.0.1:9"] };
  const covered: string[] = [];
  for (const role of ROLES) {
    let config;
    try {
      config = role.check({}, `the ${role.name} settings`);
    } catch {
      continue; // a role that needs settings of its own (the EFU's detector) is covered below
    }
    const found = versions(role.tree(config as never, kafka as never), []);
    if (found.length) covered.push(role.name);
    for (const v of found) assert.equal(v, VERSION, `${role.name}: ${v}`);
  }
  assert.ok(covered.includes("forwarder") && covered.includes("writer"), `covered: ${covered}`);
  const efuControl = Deno.readTextFileSync(new URL("../../actors/efu/control.ts", import.meta.url));
  assert.match(efuControl, /software_version: VERSION,/, "the EFU's control builds its x5f2 with VERSION");
});
