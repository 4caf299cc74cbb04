/**
 * Random encoder inputs for any schema, driven by its layout, for cross-check and fuzz tests. Case 0 takes minimal
 * values (integer minimums, empty strings and vectors), case 1 maximal ones (integer maximums, unicode strings), later
 * cases random values. Union members are taken in turn (case i gets member i mod n), so a few cases cover them all.
 *
 * @module
 */
import type { FieldLayout, ScalarType, SchemaLayout, TableLayout } from "../../schemas/layout.ts";

/** A seeded pseudo-random generator (mulberry32). */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi] (bigint bounds allowed). */
  bigint(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n;
    let r = 0n;
    for (let i = 0; i < 3; i++) r = (r << 32n) | BigInt(Math.floor(this.next() * 4294967296));
    return lo + (r % span);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

const RANGE: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

const STRINGS = ["det1", "PV:X", "Ünïcødé ✓ 中文 🚀", "x".repeat(200)];

/** Options of {@linkcode randomMessage}. */
export interface RandomOptions {
  /** the largest vector length (default 20). */
  maxLength?: number;
  /** leave out optional fields at random (default false: every field is present). */
  sparse?: boolean;
}

/** Returns a random encoder input for the root table of `layout`; `index` selects the edge case (see module doc). */
export function randomMessage(
  layout: SchemaLayout,
  rng: Rng,
  index: number,
  options: RandomOptions = {},
): Record<string, unknown> {
  return new Generator(layout, rng, index, options).table(layout.tables[layout.root]);
}

class Generator {
  constructor(
    readonly layout: SchemaLayout,
    readonly rng: Rng,
    readonly index: number,
    readonly options: RandomOptions,
  ) {}

  table(table: TableLayout): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of table.fields) {
      if (!field.required && this.options.sparse && this.rng.next() < 0.3) continue;
      if (field.kind === "union") {
        const members = this.layout.unions[field.union];
        const member = members[this.index % members.length];
        out[`${field.name}_type`] = member;
        out[field.name] = this.table(this.layout.tables[member]);
      } else out[field.name] = this.value(field);
    }
    return out;
  }

  value(field: Exclude<FieldLayout, { kind: "union" }>): unknown {
    switch (field.kind) {
      case "scalar":
        if (field.enum) {
          const names = Object.keys(this.layout.enums[field.enum].values);
          return names[this.rng.int(names.length)];
        }
        return this.scalar(field.type);
      case "string":
        return this.string();
      case "vector": {
        return Array.from({ length: this.length() }, () => this.scalar(field.element));
      }
      case "stringVector":
        return Array.from({ length: this.length() }, () => this.string());
      case "tableVector":
        return Array.from({ length: Math.min(this.length(), 3) }, () => this.table(this.layout.tables[field.table]));
      case "table":
        return this.table(this.layout.tables[field.table]);
    }
  }

  length(): number {
    if (this.index === 0) return 0;
    if (this.index === 1) return 1;
    return this.rng.int((this.options.maxLength ?? 20) + 1);
  }

  string(): string {
    if (this.index === 0) return "";
    if (this.index === 1) return STRINGS[2];
    return STRINGS[this.rng.int(STRINGS.length)] + this.rng.int(1000);
  }

  scalar(type: ScalarType): number | bigint | boolean {
    if (type === "bool") return this.index === 1 || this.rng.next() < 0.5;
    if (type === "float32") return Math.fround((this.rng.next() - 0.5) * 2e6);
    if (type === "float64") return (this.rng.next() - 0.5) * 2e12;
    const [lo, hi] = RANGE[type];
    const v = this.index === 0 ? lo : this.index === 1 ? hi : this.rng.bigint(lo, hi);
    return type === "int64" || type === "uint64" ? v : Number(v);
  }
}
