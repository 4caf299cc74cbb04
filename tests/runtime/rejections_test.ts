import assert from "node:assert/strict";
import type { HealthReply } from "../../protocols/admin.ts";

const FIXTURE = new URL("../_fixtures/main_rejections.ts", import.meta.url).pathname;

async function run(rejections: number): Promise<{ code: number; lines: Record<string, unknown>[] }> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", FIXTURE, String(rejections)] }).output();
  const text = new TextDecoder().decode(out.stdout);
  return { code: out.code, lines: text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) };
}

Deno.test("an unhandled rejection on the main thread is logged with its stack, and /health says degraded", async () => {
  const { code, lines } = await run(2);
  assert.equal(code, 0, JSON.stringify(lines));
  const logged = lines.filter((l) => "logged" in l).map((l) => l.logged as string);
  assert.equal(logged.length, 2);
  logged.forEach((stack, i) => {
    assert.match(stack, new RegExp(`^Error: forgotten catch ${i}\\n\\s+at forgottenCatch `));
  });
  const health = lines.find((l) => "health" in l)!.health as HealthReply;
  assert.equal(health.status, "degraded");
  assert.equal(health.unhandledRejections, 2);
});

Deno.test("more unhandled rejections than the intensity within the period escalate: graceful stop, exit 3", async () => {
  const { code, lines } = await run(3);
  assert.equal(code, 3, JSON.stringify(lines));
  assert.equal(lines.filter((l) => "logged" in l).length, 3);
  assert.deepEqual(lines.at(-1), { gaveUp: 3 });
  assert.ok(!lines.some((l) => "health" in l));
});
