import assert from "node:assert/strict";
import h5wasm from "h5wasm/node";
import type { Group } from "h5wasm/node";
import { AppendDataset } from "../../actors/writer/hdf/append.ts";
import { closeNexusFile, createNexusFile } from "../../actors/writer/hdf/file.ts";
import {
  buildStructure,
  parseStructure,
  streamsOf,
  StructureError,
  writeLinks,
  writeMdat,
} from "../../actors/writer/nexus/structure.ts";
import { objectAt, readH5 } from "../_harness/h5py.ts";

await h5wasm.ready;

const TYPED = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "int", "float", "double"];

/** The reference's realistic example (A.2), plus typed datasets and links both ways. */
const EXAMPLE = JSON.stringify({
  attributes: { instrument_name: "LoKI" },
  dynamic_version: "7",
  children: [
    {
      type: "group",
      name: "entry",
      attributes: { NX_class: "NXentry" },
      children: [
        { module: "mdat", config: { items: ["start_time", "end_time"] } },
        { module: "dataset", config: { name: "title", values: "Loki commissioning", dtype: "string" } },
        {
          type: "group",
          name: "instrument",
          attributes: [{ name: "NX_class", values: "NXinstrument" }],
          children: [
            {
              type: "group",
              name: "detector_events",
              children: [{ module: "ev44", config: { topic: "loki_detector", source: "loki_det0" } }],
            },
            {
              type: "group",
              name: "sample_temperature",
              attributes: { NX_class: "NXlog" },
              children: [{
                module: "f144",
                config: { topic: "loki_se", source: "SE:TEMP:01", dtype: "double", value_units: "K", chunk_size: 4 },
              }],
            },
          ],
        },
        {
          type: "group",
          name: "data",
          attributes: { NX_class: "NXdata" },
          children: [
            { module: "link", config: { name: "events", source: "../instrument/detector_events" } },
            { module: "link", config: { name: "events_abs", source: "/entry/instrument/detector_events" } },
            { module: "link", config: { name: "title", source: "../title" } },
          ],
        },
        {
          type: "group",
          name: "typed",
          children: [
            ...TYPED.map((dtype) => ({
              module: "dataset",
              config: { name: dtype, values: [[1, 2, 3], [4, 5, 6]], dtype },
            })),
            {
              module: "dataset",
              config: { name: "scalar", values: 2.5 },
              attributes: [{ name: "units", values: "mm" }, { name: "vector", values: [1, 2], dtype: "float" }],
            },
            { module: "dataset", config: { name: "default_double", values: [1, 2] }, attributes: { units: "s" } },
            { module: "dataset", config: { name: "names", values: [["a", "b"], ["c", "ü"]], type: "string" } },
            { module: "dataset", config: { name: "cube", value: [[[1], [2]], [[3], [4]]], dtype: "int16" } },
          ],
        },
      ],
    },
  ],
}).replace(
  '"values":[[1,2,3],[4,5,6]],"dtype":"int64"',
  '"values":[[-9223372036854775808,2,9007199254740993],[4,5,9223372036854775807]],"dtype":"int64"',
)
  .replace(
    '"values":[[1,2,3],[4,5,6]],"dtype":"uint64"',
    '"values":[[18446744073709551615,2,3],[4,5,6]],"dtype":"uint64"',
  );

Deno.test("structure: the reference example, typed datasets, attributes of both forms, links and mdat", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nxflow_structure_" });
  try {
    const path = `${dir}/run.nxs`;
    const structure = parseStructure(EXAMPLE);
    const file = createNexusFile(path);
    const placed = buildStructure(file, structure, { fileName: "run.nxs", creator: "nxflow 0.1.0" });
    assert.deepEqual(placed.warnings, []);
    assert.deepEqual(placed.streams, [
      {
        groupPath: "/entry/instrument/detector_events",
        module: "ev44",
        config: { topic: "loki_detector", source: "loki_det0" },
      },
      {
        groupPath: "/entry/instrument/sample_temperature",
        module: "f144",
        config: { topic: "loki_se", source: "SE:TEMP:01", dtype: "double", value_units: "K", chunk_size: 4 },
      },
    ]);
    assert.deepEqual(placed.mdat, [{ groupPath: "/entry", items: ["start_time", "end_time"] }]);
    // what the ev44 module would create before the links
    const eventId = AppendDataset.create(file.get(placed.streams[0].groupPath) as Group, "event_id", {
      dtype: "int32",
      chunkRows: 8,
    });
    eventId.append([1, 2, 3]);
    eventId.flush();
    assert.deepEqual(writeLinks(file, placed.links), []);
    writeMdat(file, placed.mdat, Date.UTC(2024, 4, 1, 10, 0, 0), Date.UTC(2024, 4, 1, 10, 5, 0, 123));
    writeMdat(file, placed.mdat, 0, 0); // a second close after a crash keeps the times written first
    closeNexusFile(file, path);

    const h5 = await readH5(path);
    const root = objectAt(h5, "/").attrs;
    assert.equal(root.HDF5_Version, "2.0.0");
    assert.equal(root.file_name, "run.nxs");
    assert.equal(root.creator, "nxflow 0.1.0");
    assert.match(String(root.file_time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(root.dynamic_version, "7");
    assert.equal(root.instrument_name, "LoKI");
    assert.equal(root.template_version, undefined);
    assert.deepEqual(objectAt(h5, "/entry").attrs, { NX_class: "NXentry" });
    assert.deepEqual(objectAt(h5, "/entry/instrument").attrs, { NX_class: "NXinstrument" });
    assert.deepEqual(objectAt(h5, "/entry/instrument/sample_temperature").attrs, { NX_class: "NXlog" });
    assert.equal(objectAt(h5, "/entry/title").value, "Loki commissioning");
    assert.equal(objectAt(h5, "/entry/title").dtype, "string");
    assert.deepEqual(objectAt(h5, "/entry/title").shape, []);
    assert.equal(objectAt(h5, "/entry/start_time").value, "2024-05-01T10:00:00.000Z");
    assert.equal(objectAt(h5, "/entry/end_time").value, "2024-05-01T10:05:00.123Z");
    assert.deepEqual(objectAt(h5, "/entry/end_time").shape, []);

    const numpy: Record<string, string> = { int: "int32", float: "float32", double: "float64" };
    for (const dtype of TYPED) {
      const ds = objectAt(h5, `/entry/typed/${dtype}`);
      assert.equal(ds.dtype, numpy[dtype] ?? dtype, dtype);
      assert.deepEqual(ds.shape, [2, 3], dtype);
      if (dtype === "int64") {
        assert.deepEqual(ds.value, [["-9223372036854775808", 2, "9007199254740993"], [4, 5, "9223372036854775807"]]);
      } else if (dtype === "uint64") assert.deepEqual(ds.value, [["18446744073709551615", 2, 3], [4, 5, 6]]);
      else assert.deepEqual(ds.value, [[1, 2, 3], [4, 5, 6]], dtype);
    }
    const scalar = objectAt(h5, "/entry/typed/scalar");
    assert.deepEqual([scalar.dtype, scalar.shape, scalar.value], ["float64", [], 2.5]);
    assert.deepEqual(scalar.attrs, { units: "mm", vector: [1, 2] });
    assert.equal(objectAt(h5, "/entry/typed/default_double").dtype, "float64");
    assert.deepEqual(objectAt(h5, "/entry/typed/default_double").attrs, { units: "s" });
    const names = objectAt(h5, "/entry/typed/names");
    assert.deepEqual([names.dtype, names.shape, names.value], ["string", [2, 2], [["a", "b"], ["c", "ü"]]]);
    const cube = objectAt(h5, "/entry/typed/cube");
    assert.deepEqual([cube.dtype, cube.shape, cube.value], ["int16", [2, 2, 1], [[[1], [2]], [[3], [4]]]]);

    const events = h5.ids["/entry/instrument/detector_events"];
    assert.equal(typeof events, "number");
    assert.equal(h5.ids["/entry/data/events"], events);
    assert.equal(h5.ids["/entry/data/events_abs"], events);
    assert.equal(h5.ids["/entry/data/title"], h5.ids["/entry/title"]);
    assert.deepEqual(objectAt(h5, "/entry/data/events/event_id").value, [1, 2, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("structure: warnings, skipped streams, reused groups, missing link targets", async () => {
  const structure = parseStructure(JSON.stringify({
    extra: 1,
    children: [
      { type: "group", children: [{ module: "ev44", config: { topic: "t", source: "s" } }] },
      {
        type: "group",
        name: "entry",
        colour: "red",
        children: [{ module: "dataset", config: { name: "a", values: 1 } }],
      },
      {
        type: "group",
        name: "entry",
        children: [
          { module: "dataset", config: { name: "b", values: 2, size: 1 } },
          { module: "f144", config: { topic: "t", attributes: { units: "K" } } },
          { module: "ev44", config: { source: "s", topic: "t" }, attributes: { x: 1 } },
          { module: "link", config: { name: "gone", source: "../nothing" } },
          { module: "link", config: { name: "up", source: "../../x" } },
          { module: "link", config: { name: "nameless" } },
          { name: "no kind" },
        ],
      },
    ],
  }));
  assert.deepEqual(streamsOf(structure), {
    streams: [{ groupPath: "/entry", module: "ev44", config: { source: "s", topic: "t" } }],
    skipped: ["/entry: module f144 skipped: its config has no source"],
  });
  const dir = await Deno.makeTempDir({ prefix: "nxflow_structure_" });
  try {
    const path = `${dir}/run.nxs`;
    const file = createNexusFile(path);
    const placed = buildStructure(file, structure, { fileName: "run.nxs", creator: "nxflow" });
    assert.deepEqual(placed.warnings, [
      'the top level: unknown key "extra" is ignored',
      "/: child 0: a group without a name is skipped, with its children",
      '/entry: unknown key "colour" is ignored',
      '/entry: module f144: an "attributes" key in a module config is ignored',
      "/entry: the attributes of module ev44 are ignored (give them to the group)",
      '/entry: child 5: a link needs "name" and "source" strings in its config; skipped',
      '/entry: child 6 is skipped: neither a group ("type": "group") nor a module ("module": ...)',
      "/entry: module f144 skipped: its config has no source",
    ]);
    assert.deepEqual(writeLinks(file, placed.links), [
      "link /entry/gone → ../nothing: the target /nothing does not exist; not linked",
      "link /entry/up → ../../x: the target goes above the root; not linked",
    ]);
    closeNexusFile(file, path);
    const entry = objectAt(await readH5(path), "/entry");
    assert.deepEqual(entry.children, ["a", "b"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("structure: bad JSON, bad dtypes, ragged arrays, mixed attribute forms are StructureErrors", () => {
  const rejects = (json: string, pattern: RegExp) =>
    assert.throws(() => parseStructure(json), (e) => {
      assert.ok(e instanceof StructureError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  const group = (children: unknown[], attributes?: unknown) =>
    JSON.stringify({ children: [{ type: "group", name: "entry", attributes, children }] });
  rejects("{children: []}", /^not valid JSON: /);
  rejects("[]", /top level must be a JSON object/);
  rejects(
    group([{ module: "dataset", config: { name: "x", values: [1], dtype: "float128" } }]),
    /^\/entry\/x: dtype "float128" is not one of uint8, uint16, .*string$/,
  );
  rejects(
    group([{ module: "dataset", config: { name: "x", values: [[1, 2], [3]] } }]),
    /^\/entry\/x: ragged nested arrays \(values\[1\] has 1 elements, expected 2\)$/,
  );
  rejects(group([{ module: "dataset", config: { name: "x", values: [[1], 2] } }]), /ragged nested arrays/);
  rejects(group([{ module: "dataset", config: { name: "x", values: [1, [2]] } }]), /ragged nested arrays/);
  rejects(group([], [{ name: "a", values: 1 }, { units: "K" }]), /^\/entry: attributes item 1 has no "name"/);
  rejects(group([{ module: "dataset", config: { name: "t", values: "text" } }]), /double is the default/);
  rejects(group([{ module: "dataset", config: { name: "n", values: 300, dtype: "int8" } }]), /out of range/);
  rejects(group([{ module: "dataset", config: { name: "n", values: 1.5, dtype: "int" } }]), /not an integer/);
  rejects(group([{ module: "dataset", config: { values: 1 } }]), /a dataset needs a "name"/);
  rejects(group([{ module: "dataset", config: { name: "v" } }]), /needs "values"/);
  rejects(group([{ module: "mdat", config: { items: ["start_time", "run_time"] } }]), /"run_time" is not start_time/);
  rejects(group([{ type: "group", name: "a/b" }]), /not a valid name/);
  rejects(group(["entry"]), /child 0 is not a JSON object/);
  rejects(JSON.stringify({ children: {} }), /"children" must be an array/);
});
