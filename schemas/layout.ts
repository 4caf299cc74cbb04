/**
 * The wire layout of one FlatBuffers schema as data: tables with their fields in slot order, enums and unions. Each
 * `schemas/<id>/generated/layout.ts` holds one, generated from the `.fbs` by `scripts/schemas/regenerate.ts`; the
 * generic reader, writer and JSON form in this folder are driven by it.
 *
 * @module
 */

/** A FlatBuffers scalar type by its sized name (`byte` is `int8`, `ulong` is `uint64`, ...). */
export type ScalarType =
  | "bool"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "float32"
  | "float64";

interface FieldBase {
  /** the field name as written in the schema. */
  name: string;
  /** the slot of the field (for a union: of its value; the hidden `<name>_type` tag is at `slot - 1`). */
  slot: number;
  /** `(required)` in the schema: verifiers reject a message without it. */
  required: boolean;
}

/** A scalar field, or an enum stored as its underlying integer type. */
export interface ScalarField extends FieldBase {
  kind: "scalar";
  type: ScalarType;
  /** the value readers return when the field is absent. */
  default: number | bigint | boolean;
  /** name of the enum, when the field is an enum. */
  enum?: string;
}

/** A UTF-8 string field. */
export interface StringField extends FieldBase {
  kind: "string";
}

/** A vector of scalars (or of enum values). */
export interface VectorField extends FieldBase {
  kind: "vector";
  element: ScalarType;
  enum?: string;
}

/** A vector of strings. */
export interface StringVectorField extends FieldBase {
  kind: "stringVector";
}

/** A vector of tables. */
export interface TableVectorField extends FieldBase {
  kind: "tableVector";
  table: string;
}

/** A nested table. */
export interface TableField extends FieldBase {
  kind: "table";
  table: string;
}

/** A union: a uint8 tag (1-based member index, 0 = NONE) at `slot - 1` and the member table at `slot`. */
export interface UnionField extends FieldBase {
  kind: "union";
  union: string;
}

/** One field of a table. */
export type FieldLayout =
  | ScalarField
  | StringField
  | VectorField
  | StringVectorField
  | TableVectorField
  | TableField
  | UnionField;

/** A table: its fields in declaration order and its number of slots (what `startObject` is given). */
export interface TableLayout {
  name: string;
  slots: number;
  fields: FieldLayout[];
}

/** An enum: its underlying integer type and its members. */
export interface EnumLayout {
  type: ScalarType;
  values: Record<string, number>;
}

/** One schema: file identifier, root table, and every table, enum and union it declares. */
export interface SchemaLayout {
  /** the 4-character file identifier (bytes 4..7 of every message). */
  id: string;
  /** the `.fbs` file this layout was generated from. */
  file: string;
  /** the root table's name. */
  root: string;
  tables: Record<string, TableLayout>;
  enums: Record<string, EnumLayout>;
  /** member table names in declaration order; member `members[i]` has the tag `i + 1`. */
  unions: Record<string, string[]>;
}

/** Size in bytes of each scalar type on the wire. */
export const SCALAR_SIZE: Record<ScalarType, number> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
};
