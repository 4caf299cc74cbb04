/**
 * The forwarder's stream set under fc00 changes (`actors/forwarder/streams.ts`), as pure logic: the protocol field
 * defaults to PVA as in ESS's fc00, FAKE is refused, the NTTable schemas are PVA-only, and a channel keeps one
 * protocol.
 */
import assert from "node:assert/strict";
import { fc00 } from "../../schemas/mod.ts";
import { applyChange, decodeChange } from "../../actors/forwarder/streams.ts";

Deno.test("fc00 streams: PVA when the protocol field is absent, FAKE refused, nttable schemas PVA-only", () => {
  const change = decodeChange(fc00.encode({
    config_change: "ADD",
    streams: [
      { channel: "A", schema: "f144", topic: "t" },
      { channel: "B", schema: "f144", topic: "t", protocol: "CA" },
      { channel: "C", schema: "f144", topic: "t", protocol: "FAKE" },
      { channel: "D", schema: "nttable_se00", topic: "t", protocol: "CA" },
      { channel: "E", schema: "nttable_senv", topic: "t" },
    ],
  }));
  const r = applyChange([], change);
  assert.deepEqual(r.streams.map((s) => `${s.channel} ${s.protocol} ${s.schema}`), [
    "A PVA f144",
    "B CA f144",
    "E PVA nttable_senv",
  ]);
  assert.equal(r.skipped.length, 2);
  assert.match(r.skipped[0], /"C": protocol FAKE is not supported/);
  assert.match(r.skipped[1], /"D": schema "nttable_se00" is not supported for CA/);
});

Deno.test("fc00 streams: a channel configured over one protocol refuses streams over the other", () => {
  const first = applyChange([], {
    change: "ADD",
    streams: [{ channel: "X", schema: "f144", topic: "t", protocol: "PVA" }],
  });
  const r = applyChange(first.streams, {
    change: "ADD",
    streams: [
      { channel: "X", schema: "al00", topic: "t", protocol: "CA" },
      { channel: "X", schema: "f142", topic: "t", protocol: "PVA" },
    ],
  });
  assert.deepEqual(r.streams.map((s) => `${s.schema} ${s.protocol}`), ["f144 PVA", "f142 PVA"]);
  assert.match(r.skipped[0], /already configured over PVA, not CA/);
});
