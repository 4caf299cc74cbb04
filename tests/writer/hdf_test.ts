import assert from "node:assert/strict";
import h5wasm, { Module } from "h5wasm/node";
import { AppendDataset } from "../../actors/writer/hdf/append.ts";
import {
  hasAttribute,
  parseAttributes,
  setStringAttribute,
  writeAttributes,
} from "../../actors/writer/hdf/attributes.ts";
import { parseJsonExact, StructureError } from "../../actors/writer/hdf/dtypes.ts";
import {
  closeNexusFile,
  createNexusFile,
  FileCreateError,
  hdf5Version,
  readCheckpoint,
  removeCheckpoint,
  reopenNexusFile,
  writeCheckpoint,
} from "../../actors/writer/hdf/file.ts";
import { objectAt, readH5 } from "../_harness/h5py.ts";

await h5wasm.ready;

/** Runs `body` with a fresh file in a temp dir (closed and read back by the caller's assertions). */
async function withFile(body: (dir: string, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nxflow_hdf_" });
  try {
    await body(dir, `${dir}/test.nxs`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("append: chunk boundaries, flushes in the middle, conversions; exact values, dtype, chunks, maxshape", async () => {
  await withFile(async (_dir, path) => {
    const file = createNexusFile(path);
    const ds = AppendDataset.create(file, "values", { dtype: "int32", chunkRows: 4, attrs: { units: "ns", n: 3 } });
    assert.equal(ds.append(new Int32Array([0, 1, 2])), 12);
    ds.flush();
    ds.append([3, 4, 5, 6, 7, 8]);
    ds.flush();
    ds.flush();
    ds.append(new Int16Array([9]));
    ds.append(new BigInt64Array([10n, 11n]));
    ds.append(Int32Array.from({ length: 10 }, (_, i) => 12 + i));
    assert.equal(ds.rows, 22);
    assert.deepEqual(Array.from(ds.readAll() as Int32Array), Array.from({ length: 22 }, (_, i) => i));
    ds.append(Float64Array.from({ length: 9 }, (_, i) => 22 + i));
    ds.flush();
    closeNexusFile(file, path);
    const values = objectAt(await readH5(path), "/values");
    assert.equal(values.dtype, "int32");
    assert.deepEqual(values.shape, [31]);
    assert.deepEqual(values.maxshape, [null]);
    assert.deepEqual(values.chunks, [4]);
    assert.deepEqual(values.value, Array.from({ length: 31 }, (_, i) => i));
    assert.deepEqual(values.attrs, { units: "ns", n: 3 });
  });
});

Deno.test("append: large appends go whole chunks at a time and leave the tail buffered until flush", async () => {
  await withFile(async (_dir, path) => {
    const file = createNexusFile(path);
    const ds = AppendDataset.create(file, "big", { dtype: "float32", chunkRows: 1000 });
    ds.append(Float32Array.from({ length: 2500 }, (_, i) => i));
    assert.equal((file.get("big") as { shape: number[] }).shape[0], 2000);
    ds.append(Float32Array.from({ length: 700 }, (_, i) => 2500 + i));
    assert.equal((file.get("big") as { shape: number[] }).shape[0], 3000);
    ds.flush();
    closeNexusFile(file, path);
    const big = objectAt(await readH5(path), "/big");
    assert.equal(big.dtype, "float32");
    assert.deepEqual(big.value, Array.from({ length: 3200 }, (_, i) => i));
  });
});

Deno.test("append: 2-D rows, whole rows only", async () => {
  await withFile(async (_dir, path) => {
    const file = createNexusFile(path);
    const ds = AppendDataset.create(file, "frames", { dtype: "uint16", chunkRows: 2, rowShape: [3] });
    ds.append([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.throws(() => ds.append([1, 2]), RangeError);
    ds.flush();
    ds.append(new Uint16Array([10, 11, 12, 13, 14, 15]));
    assert.equal(ds.rows, 5);
    ds.flush();
    closeNexusFile(file, path);
    const frames = objectAt(await readH5(path), "/frames");
    assert.equal(frames.dtype, "uint16");
    assert.deepEqual(frames.shape, [5, 3]);
    assert.deepEqual(frames.maxshape, [null, 3]);
    assert.deepEqual(frames.chunks, [2, 3]);
    assert.deepEqual(frames.value, [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15]]);
  });
});

Deno.test("append: fixed-length UTF-8 strings, cut at a character boundary", async () => {
  await withFile(async (_dir, path) => {
    const file = createNexusFile(path);
    const ds = AppendDataset.create(file, "messages", { dtype: { fixedString: 6 }, chunkRows: 2 });
    assert.equal(ds.append(["LOW", "HIHI", "ALARMS"]), 18);
    ds.flush();
    ds.append(["températures", ""]);
    assert.deepEqual(ds.readAll(), ["LOW", "HIHI", "ALARMS", "tempé", ""]);
    closeNexusFile(file, path);
    const messages = objectAt(await readH5(path), "/messages");
    assert.equal(messages.dtype, "S6");
    assert.deepEqual(messages.value, ["LOW", "HIHI", "ALARMS", "tempé", ""]);
  });
});

Deno.test("append: int64 and uint64 beyond 2^53 stay exact", async () => {
  await withFile(async (_dir, path) => {
    const file = createNexusFile(path);
    const signed = AppendDataset.create(file, "signed", { dtype: "int64", chunkRows: 2 });
    const unsigned = AppendDataset.create(file, "unsigned", { dtype: "uint64", chunkRows: 2 });
    signed.append([-(2n ** 63n), 2n ** 53n + 1n, 2n ** 63n - 1n]);
    signed.append([5]);
    unsigned.append(new BigUint64Array([2n ** 64n - 1n, 2n ** 53n + 1n, 7n]));
    assert.deepEqual(signed.readAll(), new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n, 2n ** 63n - 1n, 5n]));
    unsigned.flush();
    closeNexusFile(file, path);
    const h5 = await readH5(path);
    assert.equal(objectAt(h5, "/signed").dtype, "int64");
    assert.deepEqual(objectAt(h5, "/signed").value, [
      "-9223372036854775808",
      "9007199254740993",
      "9223372036854775807",
      5,
    ]);
    assert.equal(objectAt(h5, "/unsigned").dtype, "uint64");
    assert.deepEqual(objectAt(h5, "/unsigned").value, ["18446744073709551615", "9007199254740993", 7]);
  });
});

Deno.test("append: reopen cuts back to the checkpointed rows and appends continue", async () => {
  await withFile(async (_dir, path) => {
    const spec = { dtype: "int64", chunkRows: 4 } as const;
    const file = createNexusFile(path);
    const ds = AppendDataset.create(file, "time", spec);
    ds.append(Array.from({ length: 10 }, (_, i) => i));
    ds.flush();
    file.close();
    const again = reopenNexusFile(path);
    assert.throws(() => AppendDataset.reopen(again, "time", spec, 11), RangeError);
    assert.throws(() => AppendDataset.reopen(again, "time", { ...spec, dtype: "int32" }, 6), /is <q \[\], not <i rows/);
    assert.throws(() => AppendDataset.reopen(again, "time", { ...spec, rowShape: [2] }, 6), /not <q rows of \[2\]/);
    const resumed = AppendDataset.reopen(again, "time", spec, 6);
    assert.equal(resumed.rows, 6);
    resumed.append([100, 101, 102]);
    resumed.flush();
    closeNexusFile(again, path);
    const time = objectAt(await readH5(path), "/time");
    assert.deepEqual(time.value, [0, 1, 2, 3, 4, 5, 100, 101, 102]);
    assert.deepEqual(time.chunks, [4]);
  });
});

Deno.test("createNexusFile: HDF5 1.10 bounds; refuses an existing file and a missing folder with clear messages", async () => {
  await withFile(async (dir, path) => {
    const file = createNexusFile(path);
    closeNexusFile(file, path);
    assert.equal((await readH5(path)).libver[1], "v110");
    assert.throws(() => createNexusFile(path), (e) => {
      assert.ok(e instanceof FileCreateError);
      assert.equal(e.message, `a file with that name already exists: ${path}`);
      return true;
    });
    assert.throws(() => createNexusFile(`${dir}/missing/run.nxs`), (e) => {
      assert.ok(e instanceof FileCreateError);
      assert.equal(e.message, `the folder ${dir}/missing does not exist (for ${dir}/missing/run.nxs)`);
      return true;
    });
    assert.throws(() => createNexusFile(""), FileCreateError);
    await Deno.writeTextFile(`${dir}/notes.txt`, "not HDF5");
    assert.throws(() => reopenNexusFile(`${dir}/notes.txt`), /HDF5 cannot open .*notes\.txt/);
    assert.throws(() => reopenNexusFile(`${dir}/none.nxs`), /no such file/);
  });
});

Deno.test("closeNexusFile makes the file read-only", async () => {
  await withFile(async (_dir, path) => {
    const file = createNexusFile(path);
    setStringAttribute(file, "title", "x");
    closeNexusFile(file, path);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o444);
    assert.equal(objectAt(await readH5(path), "/").attrs.title, "x");
  });
});

Deno.test("checkpoint: a 40 KB string round trip, replaced and removed", async () => {
  await withFile(async (_dir, path) => {
    const checkpoint = JSON.stringify({ offsets: Array.from({ length: 4000 }, (_, i) => `topic-${i}:${i * 7}`) });
    assert.ok(checkpoint.length > 40_000);
    const file = createNexusFile(path);
    assert.equal(readCheckpoint(file), null);
    writeCheckpoint(file, "first");
    writeCheckpoint(file, checkpoint);
    assert.equal(readCheckpoint(file), checkpoint);
    file.close();
    assert.equal(objectAt(await readH5(path), "/").attrs.nxflow_checkpoint, checkpoint);
    const again = reopenNexusFile(path);
    assert.equal(readCheckpoint(again), checkpoint);
    removeCheckpoint(again);
    assert.equal(readCheckpoint(again), null);
    closeNexusFile(again, path);
    assert.deepEqual(objectAt(await readH5(path), "/").attrs, {});
  });
});

Deno.test("hdf5Version is the version of the HDF5 library inside h5wasm", () => {
  Module.activate_throwing_error_handler();
  let banner = "";
  try {
    new h5wasm.File("/nonexistent/nxflow.h5", "r");
  } catch (e) {
    banner = String(e instanceof Error ? e.message : e);
  } finally {
    Module.deactivate_throwing_error_handler();
  }
  assert.equal(/Error detected in HDF5 \(([^)]+)\)/.exec(banner)?.[1], hdf5Version());
});

Deno.test("attributes: both forms typed, vectors, replacement, onlyIfMissing", async () => {
  await withFile(async (_dir, path) => {
    const file = createNexusFile(path);
    const group = file.create_group("entry");
    writeAttributes(
      group,
      parseAttributes(
        parseJsonExact(`{"NX_class":"NXentry","count":3,"scale":2.0,"big":18446744073709551615,"v":[1,2,3]}`),
        "/entry",
      ),
    );
    writeAttributes(
      group,
      parseAttributes(
        parseJsonExact(`[{"name":"u8","values":[1,2],"dtype":"uint8"},{"name":"count","value":4.5,"type":"float"},
          {"name":"mixed","values":[1,"a"]},{"name":"i","values":7,"dtype":"int"}]`),
        "/entry",
      ),
    );
    setStringAttribute(group, "NX_class", "NXother", { onlyIfMissing: true });
    setStringAttribute(group, "units", "K", { onlyIfMissing: true });
    assert.ok(hasAttribute(group, "units"));
    assert.ok(!hasAttribute(group, "nothing"));
    closeNexusFile(file, path);
    const entry = objectAt(await readH5(path), "/entry");
    assert.deepEqual(entry.attrs, {
      NX_class: "NXentry",
      count: 4.5,
      scale: 2,
      big: "18446744073709551615",
      v: [1, 2, 3],
      u8: [1, 2],
      mixed: ["1", "a"],
      i: 7,
      units: "K",
    });
  });
});

Deno.test("attributes: mixed forms and bad dtypes are StructureErrors with clear messages", () => {
  assert.throws(
    () => parseAttributes([{ name: "a", values: 1 }, { units: "K" }], "/entry"),
    (e) => e instanceof StructureError && /item 1 has no "name".*cannot be mixed/.test(e.message),
  );
  assert.throws(
    () => parseAttributes([{ name: "a", values: 1, dtype: "float128" }], "/entry"),
    (e) => e instanceof StructureError && /\/entry: attribute "a": dtype "float128" is not one of/.test(e.message),
  );
  assert.throws(() => parseAttributes({ x: { y: 1 } }, "/entry"), StructureError);
  assert.throws(() => parseAttributes([{ name: "a", values: 300n, dtype: "uint8" }], "/e"), /out of range/);
  assert.throws(() => parseAttributes("NXentry", "/e"), /must be an object or an array/);
});
