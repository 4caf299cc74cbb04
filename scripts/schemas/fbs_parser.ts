/**
 * A parser for the subset of the FlatBuffers schema language that the ESS schemas in `schemas/` use: `table`,
 * `enum`, `union`, `file_identifier`, `root_type`, field defaults and the `(required)` attribute. It turns one `.fbs`
 * file into a {@linkcode SchemaLayout} (slots in declaration order, a union taking two slots). Anything outside the
 * subset (structs, includes, namespaces) is refused with an {@linkcode FbsSyntaxError} naming the line.
 *
 * @module
 */
import type { EnumLayout, FieldLayout, ScalarType, SchemaLayout, TableLayout } from "../../schemas/layout.ts";

/** A `.fbs` text that this parser does not accept. */
export class FbsSyntaxError extends SyntaxError {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "FbsSyntaxError";
  }
}

const SCALARS: Record<string, ScalarType> = {
  bool: "bool",
  byte: "int8",
  int8: "int8",
  ubyte: "uint8",
  uint8: "uint8",
  short: "int16",
  int16: "int16",
  ushort: "uint16",
  uint16: "uint16",
  int: "int32",
  int32: "int32",
  uint: "uint32",
  uint32: "uint32",
  long: "int64",
  int64: "int64",
  ulong: "uint64",
  uint64: "uint64",
  float: "float32",
  float32: "float32",
  double: "float64",
  float64: "float64",
};

interface Token {
  text: string;
  line: number;
}

interface RawField {
  name: string;
  type: string;
  isVector: boolean;
  defaultText?: string;
  required: boolean;
  line: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"[^"\n]*"|-?[0-9][0-9a-zA-Z_.+-]*|[A-Za-z_][A-Za-z0-9_]*|[{}()[\]:;=,]|\n|\S/g;
  let line = 1;
  for (const match of text.matchAll(pattern)) {
    const t = match[0];
    if (t === "\n") line++;
    else if (t.startsWith("//")) continue;
    else if (t.startsWith("/*")) line += t.split("\n").length - 1;
    else tokens.push({ text: t, line });
  }
  return tokens;
}

/** Parses the text of one `.fbs` file (named `file` in errors) into its layout. */
export function parseFbs(file: string, text: string): SchemaLayout {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i]?.text;
  const fail = (message: string): never => {
    throw new FbsSyntaxError(file, tokens[Math.min(i, tokens.length - 1)]?.line ?? 1, message);
  };
  const next = (): string => tokens[i++]?.text ?? fail("unexpected end of file");
  const expect = (want: string) => {
    const got = next();
    if (got !== want) fail(`expected "${want}", found "${got}"`);
  };
  const ident = (): string => {
    const t = next();
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(t) ? t : fail(`expected a name, found "${t}"`);
  };

  let id = "";
  let root = "";
  const rawTables = new Map<string, RawField[]>();
  const enums: Record<string, EnumLayout> = {};
  const unions: Record<string, string[]> = {};

  const parseEnum = () => {
    const name = ident();
    expect(":");
    const type = SCALARS[next()] ?? fail(`enum ${name} needs an integer type`);
    expect("{");
    const values: Record<string, number> = {};
    let value = 0;
    while (peek() !== "}") {
      const member = ident();
      if (peek() === "=") {
        next();
        value = Number(next());
      }
      values[member] = value++;
      if (peek() === ",") next();
    }
    expect("}");
    enums[name] = { type, values };
  };
  const parseUnion = () => {
    const name = ident();
    expect("{");
    const members: string[] = [];
    while (peek() !== "}") {
      members.push(ident());
      if (peek() === ",") next();
    }
    expect("}");
    unions[name] = members;
  };
  const parseTable = () => {
    const name = ident();
    expect("{");
    const fields: RawField[] = [];
    while (peek() !== "}") {
      const line = tokens[i].line;
      const fieldName = ident();
      expect(":");
      let isVector = false;
      if (peek() === "[") {
        next();
        isVector = true;
      }
      const type = ident();
      if (isVector) expect("]");
      let defaultText: string | undefined;
      if (peek() === "=") {
        next();
        defaultText = next();
      }
      let required = false;
      if (peek() === "(") {
        next();
        while (peek() !== ")") {
          const attribute = ident();
          if (attribute === "required") required = true;
          else fail(`unsupported attribute "${attribute}"`);
          if (peek() === ",") next();
        }
        expect(")");
      }
      expect(";");
      fields.push({ name: fieldName, type, isVector, defaultText, required, line });
    }
    expect("}");
    rawTables.set(name, fields);
  };

  while (i < tokens.length) {
    const keyword = next();
    if (keyword === "file_identifier") {
      id = JSON.parse(next());
      expect(";");
    } else if (keyword === "root_type") {
      root = ident();
      expect(";");
    } else if (keyword === "table") parseTable();
    else if (keyword === "enum") parseEnum();
    else if (keyword === "union") parseUnion();
    else fail(`unsupported declaration "${keyword}"`);
  }
  if (!/^[\x20-\x7e]{4}$/.test(id)) fail(`file_identifier must be 4 ASCII characters, found "${id}"`);
  if (!rawTables.has(root)) fail(`root_type "${root}" is not a table of this file`);

  const tables: Record<string, TableLayout> = {};
  for (const [name, raw] of rawTables) tables[name] = resolveTable(file, name, raw, rawTables, enums, unions);
  return { id, file, root, tables, enums, unions };
}

function resolveTable(
  file: string,
  table: string,
  raw: RawField[],
  tables: Map<string, RawField[]>,
  enums: Record<string, EnumLayout>,
  unions: Record<string, string[]>,
): TableLayout {
  const fields: FieldLayout[] = [];
  let slot = 0;
  for (const f of raw) {
    const fail = (message: string): never => {
      throw new FbsSyntaxError(file, f.line, `${table}.${f.name}: ${message}`);
    };
    const base = { name: f.name, required: f.required };
    const scalar = SCALARS[f.type];
    const enumLayout = enums[f.type];
    if (f.isVector) {
      if (f.defaultText !== undefined) fail("a vector cannot have a default");
      if (scalar) fields.push({ ...base, kind: "vector", slot, element: scalar });
      else if (enumLayout) fields.push({ ...base, kind: "vector", slot, element: enumLayout.type, enum: f.type });
      else if (f.type === "string") fields.push({ ...base, kind: "stringVector", slot });
      else if (tables.has(f.type)) fields.push({ ...base, kind: "tableVector", slot, table: f.type });
      else fail(`unknown element type "${f.type}"`);
    } else if (scalar || enumLayout) {
      if (f.required) fail("a scalar cannot be required");
      const type = scalar ?? enumLayout.type;
      const value = scalarDefault(type, f.defaultText, enumLayout) ?? fail(`bad default "${f.defaultText}"`);
      fields.push({ ...base, kind: "scalar", slot, type, default: value, ...(enumLayout ? { enum: f.type } : {}) });
    } else if (f.type === "string") fields.push({ ...base, kind: "string", slot });
    else if (unions[f.type]) {
      slot++;
      fields.push({ ...base, kind: "union", slot, union: f.type });
    } else if (tables.has(f.type)) fields.push({ ...base, kind: "table", slot, table: f.type });
    else fail(`unknown type "${f.type}"`);
    slot++;
  }
  return { name: table, slots: slot, fields };
}

function scalarDefault(
  type: ScalarType,
  text: string | undefined,
  enumLayout: EnumLayout | undefined,
): number | bigint | boolean | undefined {
  if (type === "bool") {
    return text === undefined ? false : text === "true" ? true : text === "false" ? false : undefined;
  }
  let value: number | undefined = text === undefined ? 0 : Number(text);
  if (text !== undefined && enumLayout && text in enumLayout.values) value = enumLayout.values[text];
  if (value === undefined || Number.isNaN(value)) return undefined;
  if (type === "int64" || type === "uint64") return BigInt(text && !enumLayout ? text : value);
  return value;
}
