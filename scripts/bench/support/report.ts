/**
 * One JSON line per benchmark figure, with its anchor measured in the same run.
 *
 * @module
 */

/** A measured figure. `ratio` is value / anchorValue when an anchor is given. */
export interface Figure {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  anchor?: string;
  anchorValue?: number;
  goal?: string;
  met?: boolean;
}

/** Prints the figure as one JSON line on stdout. */
export function report(f: Figure): void {
  const ratio = f.anchorValue ? Number((f.value / f.anchorValue).toFixed(3)) : undefined;
  console.log(JSON.stringify({ ...f, value: Number(f.value.toFixed(3)), ratio }));
}

/** The q-quantile (0..1) of some numbers. */
export function quantile(values: number[], q: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
