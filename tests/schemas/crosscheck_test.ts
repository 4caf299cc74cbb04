/**
 * Cross-check against the ESS reference implementation (PyPI `ess-streaming-data-types` 0.27.0, run for real in the
 * shared venv): Python serialises random messages and nxflow decodes them; nxflow encodes random messages and Python
 * deserialises them. Decoded values are compared, never bytes.
 */
import assert from "node:assert/strict";
import type { FieldLayout, SchemaLayout, TableLayout } from "../../schemas/layout.ts";
import { parseJsonForm, SCHEMAS } from "../../schemas/mod.ts";
import type { DecodedTable } from "../../schemas/reader.ts";
import { ensureVenv, SCHEMA_TOOLS } from "../../scripts/python_venv.ts";
import { randomMessage, Rng } from "../_harness/random_message.ts";

/** Every schema the Python package serialises and deserialises that the cross-check covers. */
const SUPPORTED = [
  "ev44",
  "an44",
  "ev42",
  "ev43",
  "f144",
  "f142",
  "al00",
  "ep01",
  "ep00",
  "pl72",
  "6s4t",
  "answ",
  "wrdn",
  "x5f2",
  "tdct",
  "hs01",
  "hs00",
  "da00",
  "ad00",
  "se00",
  "fc00",
  "rf5k",
  "senv",
  "json",
  "ns10",
]; // deno-fmt-ignore
const CASES = 24;
const BRIDGE = new URL("./sdt_bridge.py", import.meta.url).pathname;

async function bridge(request: unknown): Promise<Record<string, unknown>> {
  const python = await ensureVenv(SCHEMA_TOOLS);
  const child = new Deno.Command(python, { args: [BRIDGE], stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(request, (_k, v) => typeof v === "bigint" ? `${v}` : v)));
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `sdt_bridge.py failed: ${stderr}`);
  return parseJsonForm(new TextDecoder().decode(out.stdout)) as Record<string, unknown>;
}

/** One message as the Python package read it (see sdt_bridge.py): `micros` holds its datetime fields. */
type PythonView = { form: Record<string, unknown>; micros: Record<string, number | bigint> };

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
const empty = (v: unknown) => v === null || v === "" || (Array.isArray(v) && v.length === 0);

function norm(layout: SchemaLayout, field: FieldLayout, v: unknown): unknown {
  if (field.kind === "scalar" && field.enum && typeof v === "string") return BigInt(layout.enums[field.enum].values[v]);
  if (typeof v === "number" && Number.isInteger(v) && field.kind === "scalar" && !field.type.startsWith("float")) {
    return BigInt(v);
  }
  if (typeof v === "number" && Number.isInteger(v) && field.kind === "vector" && !field.element.startsWith("float")) {
    return BigInt(v);
  }
  return v;
}

/** Asserts that every value Python reported equals nxflow's decoded value. */
function compare(
  layout: SchemaLayout,
  table: TableLayout,
  ours: DecodedTable,
  theirs: Record<string, unknown>,
  at: string,
) {
  for (const [key, want] of Object.entries(theirs)) {
    const path = `${at}.${key}`;
    const field = table.fields.find((f) => f.name === key || (f.kind === "union" && `${f.name}_type` === key));
    assert.ok(field, `${path} is not a field of ${table.name}`);
    const got = ours[key];
    if (key !== field.name) assert.equal(got, want, path);
    else if (empty(want) && (got === undefined || got === "")) continue;
    else if (field.kind === "union") {
      compare(layout, layout.tables[ours[`${key}_type`] as string], got as DecodedTable, want as never, path);
    } else if (field.kind === "table") {
      compare(layout, layout.tables[field.table], got as DecodedTable, want as never, path);
    } else if (field.kind === "tableVector") {
      const list = want as Record<string, unknown>[];
      assert.equal((got as unknown[]).length, list.length, `${path} length`);
      list.forEach((w, i) =>
        compare(layout, layout.tables[field.table], (got as DecodedTable[])[i], w, `${path}[${i}]`)
      );
    } else if (field.kind === "vector" || field.kind === "stringVector") {
      const mine = Array.from(got as ArrayLike<unknown>, (v) => norm(layout, field, v));
      assert.deepEqual(mine, (want as unknown[]).map((v) => norm(layout, field, v)), path);
    } else assert.deepEqual(norm(layout, field, got), norm(layout, field, want), path);
  }
}

/**
 * Asserts nxflow's integer nanoseconds against the fields the package hands out only as a datetime (the bridge's
 * `micros`: exact integer microseconds since the epoch). `deserialise_senv` builds
 * `datetime.fromtimestamp(PacketTimestamp / 1e9, tz=utc)`: the integer is rounded to a float64 and divided by 1e9
 * (two float64 roundings, together off by at most ns / 2^52 ns), then the seconds are rounded to the nearest
 * microsecond (off by at most 500 ns). Its clamp at the year 3001 is never reached by a uint64 (2^64 ns is in 2554).
 * So a match is |ns - 1000 * micros| <= 500 + ns / 2^52 + 1 ns.
 */
function compareMicros(ours: DecodedTable, micros: Record<string, number | bigint>, at: string) {
  for (const [key, theirs] of Object.entries(micros)) {
    const ns = ours[key] as bigint;
    const off = ns - BigInt(theirs) * 1000n;
    const bound = 501n + ns / 2n ** 52n;
    assert.ok(off <= bound && -off <= bound, `${at}.${key}: nxflow ${ns} ns, Python ${theirs} µs (bound ${bound} ns)`);
  }
}

/** Shapes random inputs so that the Python deserialisers can read them (consistent shapes, present strings). */
function forPython(id: string, msg: Record<string, unknown>, rng: Rng, i: number): Record<string, unknown> {
  const n = 2 + rng.int(8);
  const doubles = (k: number) => Array.from({ length: k }, () => rng.next() * 100);
  switch (id) {
    case "ev42":
      if (msg.facility_specific_data_type === "AdcPulseDebug") delete msg.facility_specific_data_type;
      if (!msg.facility_specific_data_type) delete msg.facility_specific_data;
      return msg;
    case "answ":
      return { ...msg, stop_time: rng.bigint(0n, 30_000_000_000_000n) };
    case "hs01":
    case "hs00": {
      const members = ["ArrayDouble", "ArrayFloat", id === "hs01" ? "ArrayInt" : "ArrayUInt"];
      const member = members[i % 3];
      const withErrors = i % 2 === 1;
      return {
        ...msg,
        current_shape: [n],
        offset: undefined,
        dim_metadata: [{
          length: n,
          unit: "ns",
          label: "tof",
          bin_boundaries_type: "ArrayDouble",
          bin_boundaries: { value: doubles(n + 1) },
        }],
        data_type: member,
        data: { value: doubles(n).map(Math.round) },
        errors_type: withErrors ? member : undefined,
        errors: withErrors ? { value: doubles(n).map(Math.round) } : undefined,
      }; // deno-fmt-ignore
    }
    case "da00": {
      const variables = msg.data as Record<string, unknown>[];
      const dtype = ["int32", "float64", "uint8", "int64"][i % 4];
      const size = { int32: 4, float64: 8, uint8: 1, int64: 8 }[dtype]!;
      const variable = (k: number) => ({
        ...variables[k % variables.length] ?? {},
        name: `v${k}`,
        data_type: dtype,
        shape: [n],
        data: Array.from({ length: n * size }, () => rng.int(256)),
      }); // deno-fmt-ignore
      return { ...msg, data: [variable(0), variable(1)] };
    }
    case "ad00": {
      const dtype = ["uint16", "int8", "float32", "int64"][i % 4];
      const size = { uint16: 2, int8: 1, float32: 4, int64: 8 }[dtype]!;
      const attributes = [{
        name: "a",
        description: "d",
        source: "s",
        data_type: "int32",
        data: [1, 0, 0, 0, 2, 0, 0, 0],
      }];
      return {
        ...msg,
        dimensions: [2, n],
        data_type: dtype,
        data: Array.from({ length: 2 * n * size }, () => rng.int(256)),
        attributes,
      }; // deno-fmt-ignore
    }
    default:
      return msg;
  }
}

Deno.test("cross-check: messages serialised by the Python reference package decode to its own values", async () => {
  const reply = await bridge({ op: "serialise", seed: Date.now() % 100000, count: CASES, schemas: SUPPORTED });
  const cases = reply.cases as (PythonView & { schema: string; hex: string })[];
  assert.equal(cases.length, SUPPORTED.length * CASES);
  for (const [k, c] of cases.entries()) {
    const codec = SCHEMAS.get(c.schema)!;
    const layout = codec.layout;
    const ours = codec.decode(unhex(c.hex)) as DecodedTable;
    compare(layout, layout.tables[layout.root], ours, c.form, `${c.schema}#${k}`);
    compareMicros(ours, c.micros, `${c.schema}#${k}`);
  }
});

Deno.test("cross-check: messages encoded by nxflow deserialise in the Python reference package to nxflow's values", async () => {
  const seed = Date.now() % 100000;
  const rng = new Rng(seed);
  const messages: { schema: string; hex: string; ours: DecodedTable }[] = [];
  for (const id of SUPPORTED) {
    const codec = SCHEMAS.get(id)!;
    for (let i = 0; i < CASES; i++) {
      const bytes = codec.encode(forPython(id, randomMessage(codec.layout, rng, i), rng, i));
      messages.push({ schema: id, hex: hex(bytes), ours: codec.decode(bytes) as DecodedTable });
    }
  }
  const results = (await bridge({ op: "deserialise", messages })).results as (PythonView & { error?: string })[];
  for (const [k, result] of results.entries()) {
    const { schema, ours } = messages[k];
    assert.equal(result.error, undefined, `${schema}#${k} (seed ${seed}): Python could not read it: ${result.error}`);
    const layout = SCHEMAS.get(schema)!.layout;
    compare(
      layout,
      layout.tables[layout.root],
      ours,
      result.form,
      `${schema}#${k} seed ${seed}`,
    );
    compareMicros(ours, result.micros, `${schema}#${k} seed ${seed}`);
  }
});
