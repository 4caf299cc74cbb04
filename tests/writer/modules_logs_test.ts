/** The NXlog writer modules f144, al00, ep01, tdct, se00 and f142: datasets, types, attributes, values. */
import assert from "node:assert/strict";
import { al00Module } from "../../actors/writer/modules/al00.ts";
import { ep01Module } from "../../actors/writer/modules/ep01.ts";
import { f142Module } from "../../actors/writer/modules/f142.ts";
import { f144Module } from "../../actors/writer/modules/f144.ts";
import { ModuleWriteError } from "../../actors/writer/modules/module.ts";
import { se00Module } from "../../actors/writer/modules/se00.ts";
import { tdctModule } from "../../actors/writer/modules/tdct.ts";
import { al00, decodeAny, ep01, f142, f144, se00, tdct } from "../../schemas/mod.ts";
import type { f144_LogDataInput } from "../../schemas/f144/codec.ts";
import { objectAt } from "../_harness/h5py.ts";
import { loadVector } from "../_harness/vectors.ts";
import { TIME_ATTRS, writeAll, written } from "./modules_helpers.ts";

const f144Message = (timestamp: number, value: Omit<f144_LogDataInput, "source_name" | "timestamp">) =>
  decodeAny(f144.encode({ source_name: "PV:T", timestamp, ...value } as f144_LogDataInput)).message;

const double = (timestamp: number, value: number) => f144Message(timestamp, { value_type: "Double", value: { value } });

Deno.test("f144: value, time, cues and the close-time minimum/maximum/average with units (domain test [10, 15])", async () => {
  const file = await written((group) =>
    writeAll(f144Module, group, { value_units: "K" }, [double(1, 10), double(2, 15)])
  );
  const at = (name: string) => objectAt(file, `/entry/${name}`);
  assert.deepEqual(objectAt(file, "/entry").children, [
    "average_value",
    "cue_index",
    "cue_timestamp_zero",
    "maximum_value",
    "minimum_value",
    "time",
    "value",
  ]);
  assert.equal(at("value").dtype, "float64");
  assert.deepEqual(at("value").value, [10, 15]);
  assert.deepEqual(at("value").attrs, { units: "K" });
  assert.deepEqual(at("value").chunks, [1024]);
  assert.equal(at("time").dtype, "uint64");
  assert.deepEqual(at("time").value, [1, 2]);
  assert.deepEqual(at("time").attrs, TIME_ATTRS);
  assert.deepEqual(at("cue_index").value, []);
  assert.deepEqual(at("cue_timestamp_zero").attrs, TIME_ATTRS);
  for (const [name, v] of [["minimum_value", 10], ["maximum_value", 15], ["average_value", 12.5]] as const) {
    assert.equal(at(name).dtype, "float64");
    assert.deepEqual(at(name).shape, []);
    assert.equal(at(name).value, v);
    assert.deepEqual(at(name).attrs, { units: "K" });
  }
});

Deno.test("f144: empty units, the unit alias, dtype conversion, cues every cue_interval, arrays refused", async () => {
  const file = await written((group) => {
    const plain = group.create_group("plain");
    writeAll(f144Module, plain, {}, []);
    const converted = group.create_group("converted");
    const module = f144Module.open({
      group: converted,
      path: converted.path,
      config: { unit: "mm", dtype: "Int", cue_interval: 2, chunk_size: 8, meta_data: true },
    });
    module.write(double(100, 1.75));
    module.write(f144Message(200, { value_type: "Long", value: { value: 7n } }));
    assert.throws(
      () => module.write(f144Message(300, { value_type: "ArrayInt", value: { value: [1, 2] } })),
      ModuleWriteError,
    );
    module.write(f144Message(400, { value_type: "Float", value: { value: -2.5 } }));
    module.write(double(500, 3));
    module.close();
    writeAll(f144Module, group.create_group("nometa"), { meta_data: false }, [double(1, 1)]);
  });
  assert.deepEqual(objectAt(file, "/entry/plain/value").attrs, { units: "" });
  assert.equal(objectAt(file, "/entry/plain/minimum_value").value, 0);
  assert.equal(objectAt(file, "/entry/plain/average_value").value, 0);
  assert.deepEqual(objectAt(file, "/entry/plain/maximum_value").attrs, { units: "" });
  const at = (name: string) => objectAt(file, `/entry/converted/${name}`);
  assert.equal(at("value").dtype, "int32");
  assert.deepEqual(at("value").value, [1, 7, -2, 3]);
  assert.deepEqual(at("value").attrs, { units: "mm" });
  assert.deepEqual(at("time").value, [100, 200, 400, 500]);
  assert.deepEqual(at("time").chunks, [8]);
  assert.deepEqual(at("value").chunks, [1024]);
  assert.deepEqual(at("cue_index").value, [1, 3]);
  assert.deepEqual(at("cue_timestamp_zero").value, [200, 500]);
  assert.equal(at("minimum_value").value, -2.5);
  assert.equal(at("maximum_value").value, 7);
  assert.equal(at("average_value").value, (1.75 + 7 - 2.5 + 3) / 4);
  assert.ok(!objectAt(file, "/entry/nometa").children!.includes("minimum_value"));
});

Deno.test("al00 and ep01 write alarms and connection states as integers with their times", async () => {
  const file = await written((group) => {
    writeAll(al00Module, group, {}, [
      decodeAny(al00.encode({ source_name: "PV:T", timestamp: 10, severity: "MAJOR", message: "HIHI" })).message,
      decodeAny(al00.encode({ source_name: "PV:T", timestamp: 20, severity: "OK" })).message,
    ]);
    writeAll(ep01Module, group, {}, [
      decodeAny(ep01.encode({ source_name: "PV:T", timestamp: 5, status: "CONNECTED" })).message,
      decodeAny(ep01.encode({ source_name: "PV:T", timestamp: 30, status: "DISCONNECTED" })).message,
    ]);
  });
  const at = (name: string) => objectAt(file, `/entry/${name}`);
  assert.equal(at("alarm_message").dtype, "S200");
  assert.deepEqual(at("alarm_message").value, ["HIHI", "NO ALARM MESSAGE"]);
  assert.equal(at("alarm_severity").dtype, "int16");
  assert.deepEqual(at("alarm_severity").value, [2, 0]);
  assert.equal(at("alarm_time").dtype, "uint64");
  assert.deepEqual(at("alarm_time").value, [10, 20]);
  assert.deepEqual(at("alarm_time").attrs, TIME_ATTRS);
  assert.equal(at("connection_status").dtype, "int16");
  assert.deepEqual(at("connection_status").value, [2, 3]);
  assert.deepEqual(at("connection_status_time").value, [5, 30]);
  assert.deepEqual(at("connection_status_time").attrs, TIME_ATTRS);
  for (const name of ["alarm_message", "alarm_severity", "alarm_time", "connection_status", "connection_status_time"]) {
    assert.deepEqual(at(name).chunks, [1024], name);
  }
});

Deno.test("tdct: every timestamp into time, one cue per message, empty messages skipped", async () => {
  const message = (timestamps: bigint[]) => decodeAny(tdct.encode({ name: "chopper1", timestamps })).message;
  const file = await written((group) =>
    writeAll(tdctModule, group, {}, [message([1000n, 1071n]), message([]), message([2000n, 2071n, 2142n])])
  );
  assert.deepEqual(objectAt(file, "/entry/time").value, [1000, 1071, 2000, 2071, 2142]);
  assert.deepEqual(objectAt(file, "/entry/time").chunks, [4096]);
  assert.deepEqual(objectAt(file, "/entry/cue_index").value, [0, 2]);
  assert.deepEqual(objectAt(file, "/entry/cue_timestamp_zero").value, [1000, 2000]);
  assert.deepEqual(objectAt(file, "/entry").children, ["cue_index", "cue_timestamp_zero", "time"]);
});

Deno.test("se00: samples, generated or explicit times, a cue per message, dtype int64 by default", async () => {
  const generated = decodeAny(se00.encode({
    name: "adc",
    packet_timestamp: 1000n,
    time_delta: 2.5,
    values_type: "Int16Array",
    values: { value: [1, 2, 3] },
  })).message;
  const explicit = decodeAny(se00.encode({
    name: "adc",
    packet_timestamp: 5000n,
    timestamps: [5000n, 5100n],
    values_type: "DoubleArray",
    values: { value: [4.9, -5] },
  })).message;
  const empty =
    decodeAny(se00.encode({ name: "adc", packet_timestamp: 6000n, values_type: "Int8Array", values: { value: [] } }))
      .message;
  const file = await written((group) => {
    writeAll(se00Module, group.create_group("ints"), {}, [generated, empty, explicit]);
    writeAll(se00Module, group.create_group("floats"), { dtype: "double", chunk_size: 2 }, [generated, explicit]);
  });
  const at = (name: string) => objectAt(file, `/entry/ints/${name}`);
  assert.equal(at("value").dtype, "int64");
  assert.deepEqual(at("value").value, [1, 2, 3, 4, -5]);
  assert.deepEqual(at("value").chunks, [4096]);
  assert.deepEqual(at("time").value, [1000, 1003, 1005, 5000, 5100]);
  assert.deepEqual(at("time").attrs, TIME_ATTRS);
  assert.deepEqual(at("cue_index").value, [0, 3]);
  assert.deepEqual(at("cue_timestamp_zero").value, [1000, 5000]);
  assert.equal(objectAt(file, "/entry/floats/value").dtype, "float64");
  assert.deepEqual(objectAt(file, "/entry/floats/value").value, [1, 2, 3, 4.9, -5]);
  assert.deepEqual(objectAt(file, "/entry/floats/time").chunks, [2]);
});

Deno.test("f142: padded array rows, alarm datasets on changes, units only when given, statistics", async () => {
  const golden = decodeAny(await loadVector("f142_double")).message;
  const file = await written((group) => {
    const arrays = group.create_group("arrays");
    const module = f142Module.open({
      group: arrays,
      path: arrays.path,
      config: { array_size: 3, dtype: "int32", chunk_size: 4, value_units: "V" },
    });
    module.write(
      decodeAny(f142.encode({
        source_name: "PV:A",
        timestamp: 10,
        status: "HIGH",
        severity: "MAJOR",
        value_type: "ArrayInt",
        value: { value: [1, 2, 3] },
      })).message,
    );
    module.write(
      decodeAny(f142.encode({
        source_name: "PV:A",
        timestamp: 20,
        status: "NO_CHANGE",
        severity: "NO_CHANGE",
        value_type: "ArrayDouble",
        value: { value: [4, 5] },
      })).message,
    );
    assert.throws(() =>
      module.write(
        decodeAny(f142.encode({
          source_name: "PV:A",
          timestamp: 30,
          value_type: "ArrayInt",
          value: { value: [1, 2, 3, 4] },
        })).message,
      ), ModuleWriteError);
    module.write(
      decodeAny(f142.encode({
        source_name: "PV:A",
        timestamp: 40,
        status: "NO_ALARM",
        severity: "NO_ALARM",
        value_type: "Int",
        value: { value: -6 },
      })).message,
    );
    module.close();
    writeAll(f142Module, group.create_group("scalar"), {}, [golden]);
  });
  const at = (name: string) => objectAt(file, `/entry/arrays/${name}`);
  assert.equal(at("value").dtype, "int32");
  assert.deepEqual(at("value").shape, [3, 3]);
  assert.deepEqual(at("value").maxshape, [null, 3]);
  assert.deepEqual(at("value").chunks, [4, 3]);
  assert.deepEqual(at("value").value, [[1, 2, 3], [4, 5, 0], [-6, 0, 0]]);
  assert.deepEqual(at("value").attrs, { units: "V" });
  assert.deepEqual(at("time").value, [10, 20, 40]);
  assert.deepEqual(at("alarm_time").value, [10, 40]);
  assert.equal(at("alarm_status").dtype, "S32");
  assert.deepEqual(at("alarm_status").value, ["HIGH", "NO_ALARM"]);
  assert.equal(at("alarm_severity").dtype, "int16");
  assert.deepEqual(at("alarm_severity").value, [2, 0]);
  assert.equal(at("minimum_value").value, -6);
  assert.equal(at("maximum_value").value, 5);
  assert.equal(at("average_value").value, (1 + 2 + 3 + 4 + 5 - 6) / 6);
  const scalar = (name: string) => objectAt(file, `/entry/scalar/${name}`);
  assert.equal(scalar("value").dtype, "float64");
  assert.deepEqual(scalar("value").value, [[3.5]]);
  assert.deepEqual(scalar("value").attrs, {});
  assert.deepEqual(scalar("time").value, ["1700000000123456789"]);
  assert.deepEqual(scalar("minimum_value").attrs, { units: "" });
});
