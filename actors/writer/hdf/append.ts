/**
 * Extendible datasets that grow by whole rows: the appending datasets of the writer modules (event times, log
 * values, alarm strings, detector frames). Appends are buffered in memory and written to HDF5 one whole chunk at a
 * time (a resize plus one hyperslab write per run of whole chunks), because partial-chunk writes make HDF5 read back
 * and rewrite the chunk. Only {@linkcode AppendDataset.flush} writes a partial chunk; the buffer keeps that chunk's
 * rows, so the next appends complete it and it is written again whole. Large appends with nothing buffered go
 * straight from the caller's array to HDF5 without an extra copy when the array already has the dataset's type.
 *
 * @module
 */
import h5wasm from "h5wasm/node";
import type { Dataset, Group } from "h5wasm/node";
import { setPlainAttributes } from "./attributes.ts";
import { NUMERIC, type NumericArray, type NumericArrayConstructor, type NumericType } from "./dtypes.ts";

export type { NumericType };

/** How an appendable dataset is laid out. */
export interface AppendSpec {
  /** numeric element type, or a fixed-length UTF-8 string of this many bytes (NUL padded) */
  dtype: NumericType | { fixedString: number };
  /** rows per chunk; the chunk shape is [chunkRows, ...rowShape] */
  chunkRows: number;
  /** the shape of one row; [] (default) for a 1-D dataset */
  rowShape?: number[];
  /**
   * attributes set when the dataset is created (strings as variable-length UTF-8, numbers: integers as int64, others
   * float64)
   */
  attrs?: Record<string, string | number>;
}

/** At most this many bytes go to HDF5 in one write of whole chunks (each write is copied into the wasm heap). */
const MAX_RUN_BYTES = 64 * 1024 * 1024;

const encoder = new TextEncoder();

/** The longest prefix of `s` whose UTF-8 encoding fits in `bytes` bytes (never cuts a character). */
function fitUtf8(s: string, bytes: number): string {
  if (s.length * 3 <= bytes) return s;
  const encoded = encoder.encode(s);
  if (encoded.length <= bytes) return s;
  let end = bytes;
  while (end > 0 && (encoded[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(encoded.subarray(0, end));
}

/** An extendible chunked dataset appended to by whole rows. */
export class AppendDataset {
  /** the dataset's name in its group. */
  readonly name: string;
  readonly #ds: Dataset;
  readonly #chunkRows: number;
  readonly #rowShape: number[];
  /** elements per row. */
  readonly #rowSize: number;
  /** the typed array class of numeric datasets; undefined for fixed strings. */
  readonly #array?: NumericArrayConstructor;
  /** the byte length of fixed strings; 0 for numeric datasets. */
  readonly #stringBytes: number;
  /** the rows of the chunk being filled (chunk-aligned: it starts at row #base). */
  #buffer: NumericArray | string[] | undefined;
  /** the first row of the buffered chunk; a multiple of chunkRows. */
  #base = 0;
  /** rows in the buffer. */
  #fill = 0;
  /** the dataset's extent in HDF5. */
  #extent: number;

  private constructor(ds: Dataset, name: string, spec: AppendSpec, extent: number) {
    this.#ds = ds;
    this.name = name;
    this.#chunkRows = spec.chunkRows;
    this.#rowShape = spec.rowShape ?? [];
    this.#rowSize = this.#rowShape.reduce((a, b) => a * b, 1);
    if (typeof spec.dtype === "string") {
      this.#array = NUMERIC[spec.dtype][1];
      this.#stringBytes = 0;
    } else {
      this.#stringBytes = spec.dtype.fixedString;
    }
    this.#extent = extent;
  }

  /** creates an empty extendible chunked dataset (shape [0, ...rowShape], maxshape [null, ...rowShape]) */
  static create(group: Group, name: string, spec: AppendSpec): AppendDataset {
    const rowShape = spec.rowShape ?? [];
    checkSpec(name, spec);
    const ds = group.create_dataset({
      name,
      data: [],
      shape: [0, ...rowShape],
      maxshape: [null, ...rowShape],
      chunks: [spec.chunkRows, ...rowShape],
      dtype: h5Dtype(spec),
    });
    if (!ds) throw new Error(`could not create dataset ${group.path}/${name}`);
    if (spec.attrs) setPlainAttributes(ds, spec.attrs);
    return new AppendDataset(ds, name, spec, 0);
  }

  /**
   * reopens a dataset made by `create`, cut back to `rows` rows (crash-resume: rows beyond the last checkpoint are
   * dropped)
   */
  static reopen(group: Group, name: string, spec: AppendSpec, rows: number): AppendDataset {
    checkSpec(name, spec);
    const dataset = group.get(name);
    if (!(dataset instanceof h5wasm.Dataset)) throw new Error(`no dataset ${name} in ${group.path} to reopen`);
    const rowShape = spec.rowShape ?? [];
    const layout = `${dataset.dtype} [${dataset.shape?.slice(1)}]`;
    if (layout !== `${h5Dtype(spec)} [${rowShape}]`) {
      throw new Error(
        `${group.path}/${name} is ${layout}, not ${h5Dtype(spec)} rows of [${rowShape}]; cannot reopen it`,
      );
    }
    const extent = dataset.shape?.[0] ?? 0;
    if (!Number.isInteger(rows) || rows < 0 || rows > extent) {
      throw new RangeError(`${group.path}/${name} has ${extent} rows; cannot reopen it at ${rows}`);
    }
    if (rows < extent) dataset.resize([rows, ...rowShape]);
    const appender = new AppendDataset(dataset, name, spec, rows);
    appender.#base = rows - rows % spec.chunkRows;
    if (appender.#base < rows) {
      const tail = dataset.slice([[appender.#base, rows]]);
      appender.#copyIn(tail as ArrayLike<number> | ArrayLike<bigint> | string[], 0, rows - appender.#base);
      appender.#fill = rows - appender.#base;
    }
    return appender;
  }

  /** rows appended so far, buffered ones included */
  get rows(): number {
    return this.#base + this.#fill;
  }

  /**
   * appends whole rows: a typed array (converted when its type differs: e.g. Int32Array into int64), number[],
   * bigint[], or string[] for fixed strings. Length must be a multiple of the row size (else RangeError). Returns the
   * bytes appended.
   */
  append(values: ArrayLike<number> | ArrayLike<bigint> | readonly string[]): number {
    if (values.length % this.#rowSize !== 0) {
      throw new RangeError(
        `${this.name}: ${values.length} values are not whole rows of ${this.#rowSize} (row shape [${this.#rowShape}])`,
      );
    }
    const rows = values.length / this.#rowSize;
    let done = 0;
    while (done < rows) {
      const left = rows - done;
      if (this.#fill === 0 && left >= this.#chunkRows) {
        done += this.#writeDirect(values, done, left);
        continue;
      }
      const take = Math.min(left, this.#chunkRows - this.#fill);
      this.#copyIn(values, done, take);
      this.#fill += take;
      done += take;
      if (this.#fill === this.#chunkRows) {
        this.#write(this.#base, this.#base + this.#chunkRows, this.#buffer!);
        this.#base += this.#chunkRows;
        this.#fill = 0;
      }
    }
    return values.length * (this.#array ? this.#array.BYTES_PER_ELEMENT : this.#stringBytes);
  }

  /** writes the buffered tail (partial chunk) to HDF5 */
  flush(): void {
    const end = this.#base + this.#fill;
    if (end <= this.#extent) return;
    const from = this.#extent - this.#base;
    const part = Array.isArray(this.#buffer)
      ? this.#buffer.slice(from * this.#rowSize, this.#fill * this.#rowSize)
      : (this.#buffer as NumericArray).subarray(from * this.#rowSize, this.#fill * this.#rowSize);
    this.#write(this.#extent, end, part);
  }

  /**
   * every row written so far as one flat typed array (BigInt64Array/BigUint64Array for 64-bit ints; string[] for fixed
   * strings); flushes first. For close-time statistics.
   */
  readAll(): ArrayLike<number> | ArrayLike<bigint> | string[] {
    this.flush();
    if (this.#extent === 0) return this.#array ? new this.#array(0) : [];
    return this.#ds.slice([[0, this.#extent]]) as ArrayLike<number> | ArrayLike<bigint> | string[];
  }

  /** Writes whole chunks of `values` from row `from` straight to HDF5; returns the rows written. */
  #writeDirect(values: ArrayLike<number> | ArrayLike<bigint> | readonly string[], from: number, left: number): number {
    const rowBytes = this.#rowSize * (this.#array ? this.#array.BYTES_PER_ELEMENT : this.#stringBytes);
    const chunkBytes = rowBytes * this.#chunkRows;
    const chunks = Math.max(1, Math.min(Math.floor(left / this.#chunkRows), Math.floor(MAX_RUN_BYTES / chunkBytes)));
    const rows = chunks * this.#chunkRows;
    const start = from * this.#rowSize;
    const end = start + rows * this.#rowSize;
    let slab: NumericArray | string[];
    if (this.#array && values instanceof this.#array) {
      slab = (values as NumericArray).subarray(start, end);
    } else if (this.#array) {
      slab = new this.#array(end - start);
      convertInto(slab, values as ArrayLike<number> | ArrayLike<bigint>, start, 0, end - start);
    } else {
      slab = Array.from({ length: end - start }, (_, i) => fitUtf8(stringAt(values, start + i), this.#stringBytes));
    }
    this.#write(this.#base, this.#base + rows, slab);
    this.#base += rows;
    return rows;
  }

  /** Copies `rows` rows of `values` from row `from` into the buffer after its filled rows. */
  #copyIn(values: ArrayLike<number> | ArrayLike<bigint> | readonly string[], from: number, rows: number): void {
    const size = this.#chunkRows * this.#rowSize;
    const at = this.#fill * this.#rowSize;
    const start = from * this.#rowSize;
    const count = rows * this.#rowSize;
    if (this.#array) {
      this.#buffer ??= new this.#array(size);
      convertInto(this.#buffer as NumericArray, values as ArrayLike<number> | ArrayLike<bigint>, start, at, count);
    } else {
      const buffer = (this.#buffer ??= []) as string[];
      for (let i = 0; i < count; i++) buffer[at + i] = fitUtf8(stringAt(values, start + i), this.#stringBytes);
    }
  }

  /** Writes rows [start, end) from `data` (exactly those rows), growing the dataset first when needed. */
  #write(start: number, end: number, data: NumericArray | string[]): void {
    if (end > this.#extent) {
      if (this.#ds.resize([end, ...this.#rowShape]) < 0) throw new Error(`${this.name}: resize to ${end} rows failed`);
      this.#extent = end;
    }
    const count = (end - start) * this.#rowSize;
    const slab = Array.isArray(data)
      ? (data.length === count ? data : data.slice(0, count))
      : data.length === count
      ? data
      : data.subarray(0, count);
    this.#ds.write_slice([[start, end]], slab);
  }
}

function checkSpec(name: string, spec: AppendSpec): void {
  if (!Number.isInteger(spec.chunkRows) || spec.chunkRows < 1) {
    throw new RangeError(`${name}: chunkRows must be a positive integer, not ${spec.chunkRows}`);
  }
  for (const d of spec.rowShape ?? []) {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`${name}: bad row shape [${spec.rowShape}]`);
  }
  if (typeof spec.dtype === "string") {
    if (!(spec.dtype in NUMERIC)) throw new RangeError(`${name}: unknown dtype ${spec.dtype}`);
  } else if (!Number.isInteger(spec.dtype.fixedString) || spec.dtype.fixedString < 1) {
    throw new RangeError(`${name}: fixed string length must be a positive integer, not ${spec.dtype.fixedString}`);
  }
}

function h5Dtype(spec: AppendSpec): string {
  return typeof spec.dtype === "string" ? NUMERIC[spec.dtype][0] : `S${spec.dtype.fixedString}`;
}

function stringAt(values: ArrayLike<unknown>, i: number): string {
  const v = values[i];
  if (typeof v !== "string") throw new TypeError(`fixed-string datasets take strings, not ${typeof v}`);
  return v;
}

/** Copies `count` elements of `source` from `start` into `target` at `at`, converting between number and bigint. */
function convertInto(
  target: NumericArray,
  source: ArrayLike<number> | ArrayLike<bigint>,
  start: number,
  at: number,
  count: number,
): void {
  const bigTarget = target instanceof BigInt64Array || target instanceof BigUint64Array;
  const sample = count > 0 ? source[start] : undefined;
  const bigSource = typeof sample === "bigint";
  if (bigTarget === bigSource || count === 0) {
    if (ArrayBuffer.isView(source)) {
      (target as Float64Array).set((source as unknown as Float64Array).subarray(start, start + count), at);
    } else {
      for (let i = 0; i < count; i++) (target as Float64Array)[at + i] = (source as ArrayLike<number>)[start + i];
    }
  } else if (bigTarget) {
    const src = source as ArrayLike<number>;
    for (let i = 0; i < count; i++) (target as BigInt64Array)[at + i] = BigInt(src[start + i]);
  } else {
    const src = source as ArrayLike<bigint>;
    for (let i = 0; i < count; i++) (target as Float64Array)[at + i] = Number(src[start + i]);
  }
}
