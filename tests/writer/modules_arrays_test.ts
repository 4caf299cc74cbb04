/** The array writer modules ad00 and da00: frame datasets, padding, constants, group attributes, cues. */
import assert from "node:assert/strict";
import h5wasm from "h5wasm/node";
import { ad00Module } from "../../actors/writer/modules/ad00.ts";
import { da00Module } from "../../actors/writer/modules/da00.ts";
import { ModuleConfigError, ModuleWriteError } from "../../actors/writer/modules/module.ts";
import { ad00, da00, decodeAny } from "../../schemas/mod.ts";
import type { da00_VariableInput } from "../../schemas/da00/codec.ts";
import type { DecodedTable } from "../../schemas/reader.ts";
import { objectAt } from "../_harness/h5py.ts";
import { loadVector } from "../_harness/vectors.ts";
import { bytesOf, open, written } from "./modules_helpers.ts";

const frame = (timestamp: number, dims: number[], values: number[]): DecodedTable =>
  decodeAny(ad00.encode({
    source_name: "cam",
    timestamp,
    dimensions: dims,
    data_type: "uint16",
    data: bytesOf(new Uint16Array(values)),
  })).message;

Deno.test("ad00: frames [n, ...array_size], smaller frames padded, larger refused, a cue every cue_interval", async () => {
  const golden = decodeAny(await loadVector("ad00")).message;
  const file = await written((group) => {
    const module = open(ad00Module, group, { array_size: [2, 2], cue_interval: 2 });
    module.write(golden);
    module.write(frame(2000, [1, 2], [5, 6]));
    assert.throws(() => module.write(frame(3000, [3, 2], [1, 2, 3, 4, 5, 6])), ModuleWriteError);
    assert.throws(() => module.write(frame(3000, [4], [1, 2, 3, 4])), ModuleWriteError);
    module.write(frame(4000, [2, 2], [7, 8, 9, 10]));
    module.close();
    const uint = group.create_group("uint");
    const typed = open(ad00Module, uint, { array_size: [3], dtype: "uint16", chunk_size: [5, 3] });
    typed.write(frame(1, [3], [1, 2, 3]));
    typed.close();
  });
  const at = (name: string) => objectAt(file, `/entry/${name}`);
  assert.equal(at("value").dtype, "float64");
  assert.deepEqual(at("value").value, [[[1, 2], [3, 4]], [[5, 6], [0, 0]], [[7, 8], [9, 10]]]);
  assert.deepEqual(at("value").maxshape, [null, 2, 2]);
  assert.deepEqual(at("value").chunks, [262_144, 2, 2]);
  assert.deepEqual(at("value").attrs, { units: "" });
  assert.deepEqual(at("time").value, ["1700000000000000000", 2000, 4000]);
  assert.deepEqual(at("time").chunks, [1_048_576]);
  assert.deepEqual(at("cue_index").value, [1]);
  assert.deepEqual(at("cue_timestamp_zero").value, [2000]);
  assert.equal(objectAt(file, "/entry/uint/value").dtype, "uint16");
  assert.deepEqual(objectAt(file, "/entry/uint/value").chunks, [5, 3]);
  assert.deepEqual(objectAt(file, "/entry/uint/value").value, [[1, 2, 3]]);
});

const DA00_CONFIG = {
  variables: [
    { name: "signal", unit: "counts", label: "Intensity", data_type: "int32", axes: ["x"], shape: [3] },
    { name: "error", data_type: "int16", shape: [3] },
  ],
  constants: [
    { name: "x", unit: "mm", data_type: "float64", axes: ["x"], shape: [3] },
    { name: "y", data_type: "float32", data: { first: 0, last: 1, size: 5 } },
    { name: "z", data: [[1, 2], [3, 4]] },
  ],
  attributes: [{ name: "title", data: "histogram" }, { name: "scale", data: [1.5, 2], data_type: "float32" }],
  chunk_size: 12,
};

const variable = (name: string, data: ArrayBufferView, dataType: da00_VariableInput["data_type"], shape: number[]) => ({
  name,
  data_type: dataType,
  shape,
  data: bytesOf(data),
});

Deno.test("da00: variables as time series, constants from config or the first message, group attributes", async () => {
  const golden = decodeAny(await loadVector("da00")).message;
  const second = decodeAny(da00.encode({
    source_name: "src",
    timestamp: 2000,
    data: [
      variable("error", new Float64Array([5, -1, 1.5]), "float64", [3]),
      variable("x", new Float64Array([9, 9, 9]), "float64", [3]),
    ],
  })).message;
  const file = await written((group) => {
    const module = open(da00Module, group, DA00_CONFIG);
    module.write(golden);
    module.write(second);
    assert.throws(
      () =>
        module.write(
          decodeAny(da00.encode({
            source_name: "src",
            timestamp: 3000,
            data: [variable("signal", new Int32Array([1, 2]), "int32", [2])],
          })).message,
        ),
      ModuleWriteError,
    );
    module.close();
  });
  const at = (name: string) => objectAt(file, `/entry/${name}`);
  assert.deepEqual(objectAt(file, "/entry").attrs, {
    title: "histogram",
    scale: [1.5, 2],
    signal: "signal",
    axes: ["time", "x"],
  });
  assert.equal(at("signal").dtype, "int32");
  assert.deepEqual(at("signal").value, [[1, 2, 3], [2147483647, 2147483647, 2147483647]]);
  assert.deepEqual(at("signal").maxshape, [null, 3]);
  assert.deepEqual(at("signal").chunks, [4, 3]);
  assert.deepEqual(at("signal").attrs, { units: "counts", long_name: "Intensity", axes: "time:x" });
  assert.equal(at("error").dtype, "int16");
  assert.deepEqual(at("error").value, [[32767, 32767, 32767], [5, -1, 1]]);
  assert.deepEqual(at("x").value, [0, 1, 2]);
  assert.deepEqual(at("x").attrs, { units: "mm", axes: "x" });
  assert.deepEqual(at("x").maxshape, [3]);
  assert.equal(at("y").dtype, "float32");
  assert.deepEqual(at("y").value, [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(at("z").dtype, "int64");
  assert.deepEqual(at("z").value, [[1, 2], [3, 4]]);
  assert.deepEqual(at("time").value, ["1700000000000000000", 2000]);
  assert.deepEqual(at("time").chunks, [12]);
  assert.deepEqual(at("cue_index").value, []);
});

Deno.test("da00 fills a missing float variable with NaN; da00 and ad00 refuse configs they cannot write", () => {
  const dir = Deno.makeTempDirSync();
  const file = new h5wasm.File(`${dir}/test.nxs`, "w");
  try {
    const good = file.create_group("good");
    const module = open(da00Module, good, { variables: [{ name: "v", data_type: "float32", shape: [2] }] });
    module.write(decodeAny(da00.encode({ source_name: "src", timestamp: 1, data: [] })).message);
    module.close();
    assert.deepEqual(Array.from((good.get("v") as InstanceType<typeof h5wasm.Dataset>).value as Float32Array), [
      NaN,
      NaN,
    ]);
    const group = file.create_group("bad");
    const bad: Record<string, unknown>[] = [
      { variables: [{ name: "v", shape: [3] }] },
      { variables: [{ name: "v", data_type: "float64" }] },
      { variables: ["v"] },
      { variables: [{ name: "time", data_type: "float64", shape: [1] }] },
      { constants: [{ name: "c", data: [1, 2], shape: [3] }] },
      { constants: [{ name: "c", data_type: "complex", shape: [3] }] },
      { attributes: [{ name: "a", data: { nested: true } }] },
    ];
    for (const config of bad) {
      assert.throws(() => open(da00Module, group, config), ModuleConfigError, JSON.stringify(config));
    }
    assert.throws(() => open(ad00Module, group, { array_size: [0] }), ModuleConfigError);
    assert.throws(() => open(ad00Module, group, { cue_interval: "often" }), ModuleConfigError);
    assert.deepEqual(group.keys(), []);
  } finally {
    file.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
