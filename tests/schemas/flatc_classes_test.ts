/**
 * The TypeScript classes flatc generated from each `.fbs` (`schemas/<id>/generated/`, object API) with the npm
 * `flatbuffers` runtime serve as an independent oracle: they share nothing with nxflow's layout-driven reader and
 * writer but the `.fbs` file. Golden vectors and random nxflow messages of every schema are read with flatc's
 * `unpack()` and must hold the values nxflow's decoder gives; messages built by flatc's `pack()` must decode in
 * nxflow to the same values.
 */
import assert from "node:assert/strict";
import { Builder, ByteBuffer } from "flatbuffers";
import { decodeAny, SCHEMAS } from "../../schemas/mod.ts";
import type { SchemaLayout, TableLayout } from "../../schemas/layout.ts";
import { listSchemaSources } from "../../scripts/schemas/regenerate.ts";
import { randomMessage, Rng } from "../_harness/random_message.ts";
import { loadVector, vectorIndex } from "../_harness/vectors.ts";

/** A schema's generated module: its root class, `T` classes, enums and unions by name. */
type Generated = Record<string, unknown>;

/** A generated root class, as far as this test calls it. */
interface RootClass {
  bufferHasIdentifier(bb: ByteBuffer): boolean;
  [getRoot: string]: unknown;
}

/** A generated object-API value (`<Table>T`): its fields, and `pack` to build it again. */
interface Unpacked {
  pack(builder: Builder): number;
  [field: string]: unknown;
}

/** Random cases per schema: 20 with every field (each member of f144's 20-member union comes up), 8 sparse. */
const CASES = 28;

const modules = new Map<string, Generated>();

/** Imports `schemas/<id>/generated/<fbs name>.ts`, the file flatc writes to re-export every type of the schema. */
async function generated(id: string): Promise<Generated> {
  if (!modules.has(id)) {
    const source = (await listSchemaSources()).find((s) => s.id === id)!;
    const entry = `${source.dir}generated/${source.fbs.replace(/\.fbs$/, ".ts")}`;
    modules.set(id, await import(`file://${entry}`));
  }
  return modules.get(id)!;
}

function rootClass(mod: Generated, layout: SchemaLayout): RootClass {
  const cls = mod[layout.root] as RootClass | undefined;
  assert.ok(cls, `flatc generated no class ${layout.root}`);
  return cls;
}

/** Reads `bytes` with flatc's classes only: the root table's `unpack()`. */
async function flatcUnpack(layout: SchemaLayout, bytes: Uint8Array): Promise<Unpacked> {
  const root = rootClass(await generated(layout.id), layout);
  const bb = new ByteBuffer(bytes);
  assert.ok(root.bufferHasIdentifier(bb), `flatc's ${layout.root} does not see identifier ${layout.id}`);
  const getRoot = root[`getRootAs${layout.root}`] as (bb: ByteBuffer) => { unpack(): Unpacked };
  return getRoot.call(root, bb).unpack();
}

/** Builds a message with flatc's classes only: `pack()` and the generated `finish<Root>Buffer`. */
async function flatcPack(layout: SchemaLayout, value: Unpacked): Promise<Uint8Array> {
  const root = rootClass(await generated(layout.id), layout);
  const builder = new Builder(64);
  const finish = root[`finish${layout.root}Buffer`] as (b: Builder, offset: number) => void;
  finish.call(root, builder, value.pack(builder));
  return builder.asUint8Array();
}

/** Field names compared without case and underscores: flatc's `sourceName` is the schema's `source_name`. */
function key(name: string): string {
  return name.replaceAll("_", "").toLowerCase();
}

/** flatc's object: every own field by {@linkcode key}, nested objects and lists likewise, scalars as they are. */
function flatcForm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flatcForm);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [key(k), flatcForm(v)]));
  }
  return value;
}

/**
 * nxflow's decoded table in flatc's shape: enum and union members as the numbers of flatc's generated enums (looked
 * up by name there, not in nxflow's layout), absent strings and tables as null, absent vectors as empty lists.
 */
function nxflowForm(mod: Generated, layout: SchemaLayout, table: TableLayout, obj: Record<string, unknown>) {
  const enumNumber = (enumName: string, v: unknown) =>
    typeof v === "string" ? (mod[enumName] as Record<string, number>)[v] : v;
  const out: Record<string, unknown> = {};
  for (const field of table.fields) {
    const v = obj[field.name];
    switch (field.kind) {
      case "scalar":
        out[key(field.name)] = field.enum ? enumNumber(field.enum, v) : v;
        break;
      case "string":
      case "table":
        out[key(field.name)] = v === undefined
          ? null
          : field.kind === "table"
          ? nxflowForm(mod, layout, layout.tables[field.table], v as Record<string, unknown>)
          : v;
        break;
      case "vector":
        out[key(field.name)] = Array.from((v ?? []) as ArrayLike<unknown>, (e) => field.element === "bool" ? !!e : e);
        break;
      case "stringVector":
        out[key(field.name)] = v ?? [];
        break;
      case "tableVector":
        out[key(field.name)] = ((v ?? []) as Record<string, unknown>[]).map((t) =>
          nxflowForm(mod, layout, layout.tables[field.table], t)
        );
        break;
      case "union": {
        const member = obj[`${field.name}_type`] as string;
        out[key(`${field.name}_type`)] = enumNumber(field.union, member);
        out[key(field.name)] = member === "NONE"
          ? null
          : nxflowForm(mod, layout, layout.tables[member], v as Record<string, unknown>);
        break;
      }
    }
  }
  return out;
}

/** Asserts that flatc's classes read `bytes` to the values nxflow's decoder gives; returns flatc's object. */
async function sameAsFlatc(layout: SchemaLayout, bytes: Uint8Array, what: string): Promise<Unpacked> {
  const codec = SCHEMAS.get(layout.id)!;
  const ours = codec.decode(bytes) as Record<string, unknown>;
  const theirs = await flatcUnpack(layout, bytes);
  const mod = await generated(layout.id);
  assert.deepEqual(nxflowForm(mod, layout, layout.tables[layout.root], ours), flatcForm(theirs), what);
  return theirs;
}

Deno.test("flatc's generated classes read every golden vector to nxflow's decoded values", async () => {
  const names = Object.keys(await vectorIndex());
  assert.ok(names.length >= 20);
  for (const name of names) {
    const bytes = await loadVector(name);
    await sameAsFlatc(SCHEMAS.get(decodeAny(bytes).id)!.layout, bytes, name);
  }
});

Deno.test("flatc's generated classes read random nxflow messages of every schema to nxflow's values", async () => {
  const rng = new Rng(31337);
  for (const [id, codec] of SCHEMAS) {
    for (let i = 0; i < CASES; i++) {
      const bytes = codec.encode(randomMessage(codec.layout, rng, i, { sparse: i >= 20 }) as never);
      await sameAsFlatc(codec.layout, bytes, `${id} case ${i}`);
    }
  }
});

Deno.test("messages built by flatc's generated classes decode in nxflow to the values they were built from", async () => {
  const rng = new Rng(4242);
  for (const [id, codec] of SCHEMAS) {
    for (let i = 0; i < CASES; i++) {
      const original = codec.encode(randomMessage(codec.layout, rng, i, { sparse: i >= 20 }) as never);
      const rebuilt = await flatcPack(codec.layout, await flatcUnpack(codec.layout, original));
      assert.equal(decodeAny(rebuilt).id, id);
      // flatc's object API reads an absent vector as an empty one and writes it back present: compare in its shape.
      const mod = await generated(id);
      const form = (bytes: Uint8Array) =>
        nxflowForm(mod, codec.layout, codec.layout.tables[codec.layout.root], codec.decode(bytes) as never);
      assert.deepEqual(form(rebuilt), form(original), `${id} case ${i}`);
      await sameAsFlatc(codec.layout, rebuilt, `${id} case ${i} rebuilt by flatc`);
    }
  }
});

Deno.test("the comparison with flatc's classes notices one changed event and one changed enum member", async () => {
  const ours = async (id: string, bytes: Uint8Array) => {
    const { layout } = SCHEMAS.get(id)!;
    return nxflowForm(await generated(id), layout, layout.tables[layout.root], SCHEMAS.get(id)!.decode(bytes) as never);
  };
  const ev44 = SCHEMAS.get("ev44")!.layout;
  const golden = await loadVector("ev44");
  const events = (await flatcUnpack(ev44, golden)) as Unpacked & { pixelId: number[] };
  events.pixelId[0] += 1;
  const oneMore = await flatcPack(ev44, events);
  assert.notDeepEqual(await ours("ev44", golden), flatcForm(await flatcUnpack(ev44, oneMore)));
  assert.deepEqual(await ours("ev44", oneMore), flatcForm(await flatcUnpack(ev44, oneMore)));

  const al00 = SCHEMAS.get("al00")!;
  const alarm = al00.decode(await loadVector("al00")) as Record<string, unknown>;
  const other = al00.encode({ ...alarm, severity: alarm.severity === "MAJOR" ? "MINOR" : "MAJOR" } as never);
  assert.notDeepEqual(await ours("al00", await loadVector("al00")), flatcForm(await flatcUnpack(al00.layout, other)));
});
