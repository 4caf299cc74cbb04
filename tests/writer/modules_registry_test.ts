/** The writer module registry (ids, aliases, classes, companions) and the per-schema source/timestamp extraction. */
import assert from "node:assert/strict";
import { ModuleConfigError } from "../../actors/writer/modules/module.ts";
import { moduleType, sourceAndTime, withCompanions, WRITER_MODULES } from "../../actors/writer/modules/registry.ts";
import { decodeAny, ev44, f144 as f144Codec, se00, tdct } from "../../schemas/mod.ts";
import { loadVector } from "../_harness/vectors.ts";

Deno.test("the registry has kafka-to-nexus's module ids and aliases with their NX classes and filter rules", () => {
  assert.deepEqual([...WRITER_MODULES.keys()].sort(), [
    "ad00",
    "al00",
    "alarm_info",
    "da00",
    "ep01",
    "epics_con_info",
    "ev42",
    "ev44",
    "f142",
    "f144",
    "se00",
    "tdct",
  ]);
  assert.equal(moduleType("alarm_info"), moduleType("al00"));
  assert.equal(moduleType("epics_con_info"), moduleType("ep01"));
  assert.equal(moduleType("hs01"), undefined);
  for (const [id, type] of WRITER_MODULES) {
    const events = type.id === "ev44" || type.id === "ev42";
    assert.equal(type.nxClass, events ? "NXevent_data" : type.id === "da00" ? "NXdata" : "NXlog", id);
    assert.equal(type.acceptsRepeatedTimestamps, events, id);
    assert.equal(type.writesLastKnownValue, !events, id);
    assert.equal(type.schema, type.id, id);
  }
  assert.ok(moduleType("f144")!.configKeys.includes("value_units"));
  assert.deepEqual(moduleType("ev44")!.configKeys, ["cue_interval", "chunk_size"]);
});

Deno.test("f144, tdct and se00 add al00 and ep01 on the same topic and source unless switched off", () => {
  const ids = (module: string, config: Record<string, unknown>) =>
    withCompanions({ module, config: { topic: "se", source: "PV:T", ...config } }).map((p) => [p.type.id, p.config]);
  const stream = { topic: "se", source: "PV:T" };
  for (const module of ["f144", "tdct", "se00"]) {
    assert.deepEqual(ids(module, { value_units: "K" }), [
      [module, { ...stream, value_units: "K" }],
      ["al00", stream],
      ["ep01", stream],
    ]);
  }
  assert.deepEqual(ids("f144", { enable_alarm_info: false }).map(([id]) => id), ["f144", "ep01"]);
  assert.deepEqual(ids("tdct", { enable_epics_con_info: false }).map(([id]) => id), ["tdct", "al00"]);
  assert.deepEqual(ids("se00", { enable_alarm_info: false, enable_epics_con_info: false }).map(([id]) => id), [
    "se00",
  ]);
  assert.deepEqual(ids("f142", {}).map(([id]) => id), ["f142", "ep01"]);
  for (const module of ["ev44", "ev42", "al00", "ep01", "da00", "ad00", "alarm_info"]) {
    assert.equal(ids(module, {}).length, 1, module);
  }
  assert.throws(() => ids("hs00", {}), ModuleConfigError);
  assert.throws(() => ids("f144", { enable_alarm_info: "no" }), ModuleConfigError);
});

Deno.test("sourceAndTime reads each schema's source name and flatbuffer timestamp (golden messages)", async () => {
  const expected: Record<string, [string, string, bigint]> = {
    ev44: ["ev44", "det1", 1700000000000000000n],
    ev42: ["ev42", "det1", 1700000000000000000n],
    f144_double: ["f144", "PV:X", 1700000000123456789n],
    f142_double: ["f142", "PV:X", 1700000000123456789n],
    al00: ["al00", "PV:X", 1700000000000000000n],
    ep01: ["ep01", "PV:X", 1700000000000000000n],
    da00: ["da00", "src", 1700000000000000000n],
    ad00: ["ad00", "cam", 1700000000000000000n],
    tdct: ["tdct", "chopper1", 1700000000000000000n],
    se00: ["se00", "adc", 1700000000000000000n],
  };
  for (const [vector, [id, source, timestampNs]] of Object.entries(expected)) {
    const decoded = decodeAny(await loadVector(vector));
    assert.equal(decoded.id, id);
    assert.deepEqual(sourceAndTime(decoded.id, decoded.message), { source, timestampNs }, vector);
  }
  for (const type of new Set(WRITER_MODULES.values())) {
    assert.equal(typeof type.sourceAndTime, "function", `${type.id} reads its own source and time`);
  }
  for (const other of ["pl72", "6s4t", "x5f2", "hs01", "ep00"]) {
    const decoded = decodeAny(await loadVector(other));
    assert.equal(sourceAndTime(decoded.id, decoded.message), null, other);
  }
});

Deno.test("a module type's registry line is all that routes its schema: sourceAndTime asks the module type", () => {
  const f144 = moduleType("f144")!;
  const reader = f144.sourceAndTime;
  const message = decodeAny(
    f144Codec.encode({ source_name: "PV:Y", timestamp: 5n, value_type: "Double", value: { value: 1 } }),
  );
  try {
    f144.sourceAndTime = () => ({ source: "from the module", time: 7n });
    assert.deepEqual(sourceAndTime("f144", message.message), { source: "from the module", timestampNs: 7n });
  } finally {
    f144.sourceAndTime = reader;
  }
  assert.deepEqual(sourceAndTime("f144", message.message), { source: "PV:Y", timestampNs: 5n });
});

Deno.test("sourceAndTime gives 0n for a message without a timestamp", () => {
  const noPulse = decodeAny(ev44.encode({ source_name: "det", reference_time: [], reference_time_index: [] }));
  assert.deepEqual(sourceAndTime(noPulse.id, noPulse.message), { source: "det", timestampNs: 0n });
  const noTimes = decodeAny(tdct.encode({ name: "ch", timestamps: [] }));
  assert.deepEqual(sourceAndTime(noTimes.id, noTimes.message), { source: "ch", timestampNs: 0n });
  const zero = decodeAny(se00.encode({ name: "adc", values_type: "Int8Array", values: { value: [1] } }));
  assert.deepEqual(sourceAndTime(zero.id, zero.message), { source: "adc", timestampNs: 0n });
});
