/**
 * The PVA encodings (`actors/forwarder/encode_pva.ts`) as pure logic, read back with nxflow's codecs: tdct from an
 * integer NTScalarArray, senv from an integer NTTable (a double one refused), f144 of booleans and of 64-bit
 * integers, al00 with the PVA alarm message, strings and tables refused for f144.
 */
import assert from "node:assert/strict";
import { al00, f144, senv, tdct } from "../../schemas/mod.ts";
import type { PvaUpdate } from "../../protocols/forwarder.ts";
import { encodeAl00Pva, encodeF144Pva, encodeTablePva, encodeTdctPva } from "../../actors/forwarder/encode_pva.ts";
import { UnsupportedValueError } from "../../actors/forwarder/encode.ts";

const base = { protocol: "PVA", severity: 0, status: 0, message: "", timestampNs: 1_700_000_000_000_000_000n } as const;

Deno.test("PVA encodings: tdct, senv, f144 of booleans and longs, al00", () => {
  const ints: PvaUpdate = { ...base, type: "int", value: new Int32Array([0, 10, 25]), array: true };
  const t = tdct.decode(encodeTdctPva("PV", ints, 7)!);
  assert.deepEqual([...t.timestamps!], [0n, 10n, 25n].map((d) => base.timestampNs + d));
  assert.equal(t.sequence_counter, 7n);
  const table: PvaUpdate = {
    ...base,
    type: "short",
    value: new Int16Array([3, 4]),
    array: true,
    timestamps: new BigInt64Array([100n, 150n]),
  };
  const s = senv.decode(encodeTablePva("PV", table, "senv", 2)!);
  assert.equal(s.Values_type, "Int16Array");
  assert.deepEqual([...s.Timestamps!], [100n, 150n]);
  assert.equal(s.TimeDelta, 50);
  assert.throws(
    () => encodeTablePva("PV", { ...table, type: "double", value: new Float64Array(2) }, "senv", 0),
    UnsupportedValueError,
  );
  assert.equal(
    encodeTablePva("PV", { ...table, value: new Int16Array(0), timestamps: new BigInt64Array(0) }, "senv", 0),
    null,
  );
  const flags = f144.decode(encodeF144Pva("PV", { ...base, type: "boolean", value: [true, false], array: true }));
  assert.equal(flags.value_type, "ArrayUByte");
  const long = f144.decode(encodeF144Pva("PV", { ...base, type: "ulong", value: 2n ** 63n + 5n, array: false }));
  assert.deepEqual([long.value_type, long.value.value], ["ULong", 2n ** 63n + 5n]);
  const a = al00.decode(
    encodeAl00Pva("PV", { ...base, type: "double", value: 1, array: false, severity: 2, message: "hot" }),
  );
  assert.deepEqual([a.severity, a.message], ["MAJOR", "hot"]);
  assert.throws(
    () => encodeF144Pva("PV", { ...base, type: "string", value: "x", array: false }),
    /string PVs have no f144/,
  );
  assert.throws(() => encodeF144Pva("PV", table), /NTTable/);
});
