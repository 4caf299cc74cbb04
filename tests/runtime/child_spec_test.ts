import assert from "node:assert/strict";
import { checkSupervisorSpec } from "../../actors/runtime/child_spec.ts";

const actor = { id: "a", module: "file:///a.ts" };

Deno.test("checkSupervisorSpec() fills in OTP-like defaults", () => {
  const s = checkSupervisorSpec({ id: "root", children: [actor] });
  assert.equal(s.strategy, "oneForOne");
  assert.equal(s.intensity, 3);
  assert.equal(s.periodMs, 5000);
  const a = s.children[0];
  assert.ok(!("children" in a));
  assert.equal(a.restart, "permanent");
  assert.equal(a.shutdownMs, 5000);
  assert.equal(a.delivery, "atLeastOnce");
  assert.equal(a.backoff, null);
});

Deno.test("checkSupervisorSpec() rejects duplicate ids, bad ids, unknown strategies and restart types", () => {
  assert.throws(() => checkSupervisorSpec({ id: "root", children: [actor, actor] }), /two children have the id "a"/);
  assert.throws(() => checkSupervisorSpec({ id: "root", children: [{ ...actor, id: "a b" }] }), TypeError);
  assert.throws(
    () => checkSupervisorSpec({ id: "root", strategy: "oneForSome" as never, children: [] }),
    /strategy: must be one of oneForOne, oneForAll, restForOne/,
  );
  assert.throws(
    () => checkSupervisorSpec({ id: "root", children: [{ ...actor, restart: "sometimes" as never }] }),
    /restart: must be one of permanent, transient, temporary/,
  );
});

Deno.test("checkSupervisorSpec() rejects out-of-range numbers and heartbeat timeouts shorter than two beats", () => {
  assert.throws(() => checkSupervisorSpec({ id: "r", intensity: -1, children: [] }), RangeError);
  assert.throws(() => checkSupervisorSpec({ id: "r", children: [{ ...actor, shutdownMs: NaN }] }), RangeError);
  assert.throws(
    () => checkSupervisorSpec({ id: "r", children: [{ ...actor, heartbeatMs: 100, heartbeatTimeoutMs: 150 }] }),
    /at least twice heartbeatMs/,
  );
  assert.throws(
    () => checkSupervisorSpec({ id: "r", children: [{ ...actor, backoff: { initialMs: 100, maxMs: 10 } }] }),
    /backoff.maxMs/,
  );
});

Deno.test("checkSupervisorSpec() checks that channels join two actors of the same supervisor", () => {
  const b = { id: "b", module: "file:///b.ts" };
  const sub = { id: "sub", children: [] };
  assert.doesNotThrow(() =>
    checkSupervisorSpec({ id: "r", children: [actor, b], channels: [{ name: "x", between: ["a", "b"] }] })
  );
  assert.throws(
    () => checkSupervisorSpec({ id: "r", children: [actor, b], channels: [{ name: "x", between: ["a", "c"] }] }),
    /"c" is not an actor of this supervisor/,
  );
  assert.throws(
    () => checkSupervisorSpec({ id: "r", children: [actor, sub], channels: [{ name: "x", between: ["a", "sub"] }] }),
    /"sub" is not an actor/,
  );
  assert.throws(
    () => checkSupervisorSpec({ id: "r", children: [actor], channels: [{ name: "x", between: ["a", "a"] }] }),
    /two different actors/,
  );
});
