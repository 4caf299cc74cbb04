/**
 * The JSON form of a message: what `flatc --json --strict-json` prints for the schema, on one line. Field names as
 * in the schema and in declaration order, enums by name, a union as `<field>_type` plus the member object, scalars
 * the buffer does not hold left out (an absent key means the default), and 64-bit integers printed exactly. The one
 * difference from flatc: non-finite floats are the strings "nan", "inf" and "-inf" (flatc prints bare `nan`, which
 * is not JSON).
 *
 * {@linkcode parseJsonForm} reads such text back with 64-bit integers intact, giving an encoder input.
 *
 * @module
 */
import type { SchemaLayout, TableLayout } from "./layout.ts";
import { ABSENT, type DecodedTable } from "./reader.ts";

/** Prints a decoded message (as returned by the schema's `decode`) in the JSON form. */
export function toJsonForm(layout: SchemaLayout, message: DecodedTable): string {
  return table(layout, layout.tables[layout.root], message);
}

function table(layout: SchemaLayout, layoutTable: TableLayout, obj: DecodedTable): string {
  const parts: string[] = [];
  for (const field of layoutTable.fields) {
    const value = obj[field.name];
    const key = JSON.stringify(field.name);
    switch (field.kind) {
      case "scalar":
        if (value !== undefined && !hidden(obj, field.name, value, field.default, layout, field.enum)) {
          parts.push(`${key}:${scalar(value)}`);
        }
        break;
      case "union": {
        const member = obj[`${field.name}_type`];
        if (value === undefined || member === undefined || member === "NONE") break;
        parts.push(`${JSON.stringify(`${field.name}_type`)}:${JSON.stringify(member)}`);
        parts.push(`${key}:${table(layout, layout.tables[member as string], value as DecodedTable)}`);
        break;
      }
      case "table":
        if (value !== undefined) {
          parts.push(`${key}:${table(layout, layout.tables[field.table], value as DecodedTable)}`);
        }
        break;
      case "tableVector":
        if (value !== undefined) {
          const items = (value as DecodedTable[]).map((t) => table(layout, layout.tables[field.table], t));
          parts.push(`${key}:[${items.join(",")}]`);
        }
        break;
      case "vector":
      case "stringVector":
        if (value !== undefined) {
          parts.push(`${key}:[${Array.from(value as ArrayLike<unknown>, scalar).join(",")}]`);
        }
        break;
      case "string":
        if (value !== undefined) parts.push(`${key}:${JSON.stringify(value)}`);
        break;
    }
  }
  return `{${parts.join(",")}}`;
}

/**
 * A scalar is left out when the buffer did not hold it, or (for tables not read from a buffer) when it is the default.
 */
function hidden(
  obj: DecodedTable,
  name: string,
  value: unknown,
  def: unknown,
  layout: SchemaLayout,
  enumName?: string,
) {
  const absent = (obj as { [ABSENT]?: string[] })[ABSENT];
  return absent ? absent.includes(name) : sameScalar(value, def, layout, enumName);
}

function sameScalar(value: unknown, def: unknown, layout: SchemaLayout, enumName?: string): boolean {
  if (enumName !== undefined && typeof value === "string") return layout.enums[enumName].values[value] === def;
  if (typeof value === "number" && typeof def === "number") return Object.is(value, def) || value === def;
  return value === def;
}

function scalar(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) {
    return Number.isNaN(value) ? '"nan"' : value > 0 ? '"inf"' : '"-inf"';
  }
  return JSON.stringify(value);
}

/**
 * Parses JSON-form text. Integers that a double cannot hold exactly become `bigint`; everything else is as
 * `JSON.parse` gives it. Throws `SyntaxError` on text that is not JSON.
 */
export function parseJsonForm(text: string): unknown {
  return JSON.parse(text, function (_key, value, context?: { source?: string }) {
    const source = context?.source;
    if (typeof value === "number" && !Number.isSafeInteger(value) && source && /^-?[0-9]+$/.test(source)) {
      return BigInt(source);
    }
    return value;
  });
}
