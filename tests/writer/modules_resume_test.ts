/**
 * Crash-resume of every writer module: write, checkpoint, write more without flush or close (lost), reopen the file
 * and a new instance from the checkpoint, write the rest; the file must equal one written straight through.
 */
import assert from "node:assert/strict";
import h5wasm from "h5wasm/node";
import type { FileOptions, Group } from "h5wasm/node";
import { type ModuleCheckpoint, ModuleConfigError } from "../../actors/writer/modules/module.ts";
import { moduleType } from "../../actors/writer/modules/registry.ts";
import { ad00, al00, da00, decodeAny, ep01, ev42, ev44, f142, f144, se00, tdct } from "../../schemas/mod.ts";
import type { EventMessageInput } from "../../schemas/ev42/codec.ts";
import type { DecodedTable } from "../../schemas/reader.ts";
import { objectAt, readH5 } from "../_harness/h5py.ts";
import { bytesOf, open } from "./modules_helpers.ts";

const OPTIONS: FileOptions = { libver: ["v108", "v110"] };
const decoded = (bytes: Uint8Array): DecodedTable => decodeAny(bytes).message;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Per module: a config with small chunks and cues, and messages that cross chunk and cue boundaries. */
const CASES: Record<string, { config: Record<string, unknown>; messages: DecodedTable[] }> = {
  ev44: {
    config: { cue_interval: 3, chunk_size: 2 },
    messages: range(7).map((i) =>
      decoded(ev44.encode({
        source_name: "det",
        reference_time: [1000 * (i + 1), 1000 * (i + 1) + 500],
        reference_time_index: [0, i % 3],
        time_of_flight: range(i % 4).map((j) => 10 * j + i),
        pixel_id: range(i % 4),
      }))
    ),
  },
  ev42: {
    config: { cue_interval: 2, chunk_size: 2, adc_pulse_debug: true },
    messages: range(6).map((i) =>
      decoded(ev42.encode({
        source_name: "det",
        pulse_time: 1000 * (i + 1),
        time_of_flight: range(i % 3).map((j) => j + 1),
        detector_id: range(i % 3),
        ...(i % 2 === 0 ? {} : {
          facility_specific_data_type: "AdcPulseDebug",
          facility_specific_data: { amplitude: range(i % 3), peak_time: range(i % 3).map((j) => j + 7) },
        }),
      } as EventMessageInput))
    ),
  },
  f144: {
    config: { chunk_size: 2, cue_interval: 2, value_units: "K" },
    messages: [4, -1, 7.5, 2, 9, 0.5, 3].map((value, i) =>
      decoded(f144.encode({ source_name: "PV", timestamp: 100 * (i + 1), value_type: "Double", value: { value } }))
    ),
  },
  al00: {
    config: {},
    messages: range(5).map((i) =>
      decoded(al00.encode({ source_name: "PV", timestamp: i + 1, severity: i % 4, message: i % 2 ? "LOW" : "" }))
    ),
  },
  ep01: {
    config: {},
    messages: range(4).map((i) => decoded(ep01.encode({ source_name: "PV", timestamp: i + 1, status: (i % 3) + 1 }))),
  },
  tdct: {
    config: { chunk_size: 2 },
    messages: range(5).map((i) =>
      decoded(tdct.encode({ name: "ch", timestamps: range(i % 3).map((j) => 100 * i + j) }))
    ),
  },
  se00: {
    config: { chunk_size: 2, dtype: "int32" },
    messages: range(5).map((i) =>
      decoded(se00.encode({
        name: "adc",
        packet_timestamp: 1000 * (i + 1),
        time_delta: 1.5,
        values_type: "Int16Array",
        values: { value: range(i % 4).map((j) => j - i) },
      }))
    ),
  },
  da00: {
    config: {
      variables: [{ name: "v", data_type: "float64", shape: [2], unit: "V" }],
      constants: [{ name: "c", data_type: "int32", shape: [2] }],
      chunk_size: 4,
      cue_interval: 2,
    },
    messages: range(5).map((i) =>
      decoded(da00.encode({
        source_name: "src",
        timestamp: 10 * (i + 1),
        data: [
          { name: "v", data_type: "float64", shape: [2], data: bytesOf(new Float64Array([i, i / 2])) },
          { name: "c", data_type: "int32", shape: [2], data: bytesOf(new Int32Array([i + 7, 8])) },
        ],
      }))
    ),
  },
  ad00: {
    config: { array_size: [2], chunk_size: [4], cue_interval: 2 },
    messages: range(5).map((i) =>
      decoded(ad00.encode({
        source_name: "cam",
        timestamp: 10 * (i + 1),
        dimensions: [i % 2 + 1],
        data_type: "int32",
        data: bytesOf(new Int32Array([i, -i].slice(0, i % 2 + 1))),
      }))
    ),
  },
  f142: {
    config: { array_size: 2, chunk_size: 2, cue_interval: 3 },
    messages: range(6).map((i) =>
      decoded(f142.encode({
        source_name: "PV",
        timestamp: 10 * (i + 1),
        status: i % 2 ? "NO_CHANGE" : "HIHI",
        severity: "MAJOR",
        value_type: "ArrayDouble",
        value: { value: range(i % 2 + 1).map((j) => j + i / 4) },
      }))
    ),
  },
};

Deno.test("every module resumed from a checkpoint writes each message exactly once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/resume.nxs`;
    const checkpoints = new Map<string, ModuleCheckpoint>();
    const file = new h5wasm.File(path, "w", OPTIONS);
    for (const [id, { config, messages }] of Object.entries(CASES)) {
      const type = moduleType(id)!;
      const straight = open(type, file.create_group(`straight_${id}`), config);
      for (const m of messages) straight.write(m);
      straight.close();
      const crashed = open(type, file.create_group(`resumed_${id}`), config);
      const split = Math.floor(messages.length / 2);
      for (const m of messages.slice(0, split)) crashed.write(m);
      checkpoints.set(id, JSON.parse(JSON.stringify(crashed.checkpoint())));
      for (const m of messages.slice(split)) crashed.write(m);
    }
    file.flush();
    file.close();
    const again = new h5wasm.File(path, "a", OPTIONS);
    for (const [id, { config, messages }] of Object.entries(CASES)) {
      const group = again.get(`resumed_${id}`) as Group;
      const resumed = open(moduleType(id)!, group, config, checkpoints.get(id));
      for (const m of messages.slice(Math.floor(messages.length / 2))) resumed.write(m);
      resumed.close();
    }
    again.close();
    const h5 = await readH5(path);
    for (const id of Object.keys(CASES)) {
      const straight = objectAt(h5, `/straight_${id}`);
      assert.deepEqual(objectAt(h5, `/resumed_${id}`).children, straight.children, id);
      assert.deepEqual(objectAt(h5, `/resumed_${id}`).attrs, straight.attrs, id);
      for (const name of straight.children!) {
        const [a, b] = [objectAt(h5, `/straight_${id}/${name}`), objectAt(h5, `/resumed_${id}/${name}`)];
        assert.deepEqual(
          [b.dtype, b.shape, b.chunks, b.attrs, b.value],
          [a.dtype, a.shape, a.chunks, a.attrs, a.value],
          `${id}/${name}`,
        );
      }
    }
    assert.deepEqual(objectAt(h5, "/straight_f144/time").value, [100, 200, 300, 400, 500, 600, 700]);
    assert.deepEqual(objectAt(h5, "/straight_f144/cue_index").value, [1, 3, 5]);
    assert.equal(objectAt(h5, "/resumed_f144/minimum_value").value, -1);
    assert.equal(objectAt(h5, "/resumed_f144/average_value").value, 25 / 7);
    assert.deepEqual(objectAt(h5, "/resumed_da00/c").value, [7, 8]);
    assert.equal((objectAt(h5, "/resumed_ev44/event_index").value as number[]).length, 5 * 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a checkpoint that does not match the file is a ModuleConfigError", () => {
  const dir = Deno.makeTempDirSync();
  const file = new h5wasm.File(`${dir}/bad.nxs`, "w", OPTIONS);
  try {
    const group = file.create_group("log");
    const type = moduleType("tdct")!;
    const module = open(type, group, {});
    module.write(CASES.tdct.messages[1]);
    const checkpoint = module.checkpoint();
    assert.deepEqual(checkpoint.datasets, { time: 1, cue_index: 1, cue_timestamp_zero: 1 });
    assert.throws(() => open(type, group, {}, { datasets: { time: 1, cue_index: 1 } }), ModuleConfigError);
    assert.throws(() => open(type, group, {}, { datasets: { ...checkpoint.datasets, time: 5 } }), ModuleConfigError);
    assert.throws(() => open(type, group, {}), ModuleConfigError);
  } finally {
    file.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
