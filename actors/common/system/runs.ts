/**
 * What a run of the system needs besides the writer's commands, shared by `nxflow run` and the live view: the file
 * name of a run started now, and the structure with the entry's title replaced.
 *
 * @module
 */

/**
 * Puts `title` into the structure's first NXentry (replacing its `title` dataset, or adding one).
 *
 * @throws {TypeError} when the structure has no NXentry group at its top.
 */
export function withTitle(structure: string, title: string): string {
  const s = JSON.parse(structure) as { children?: Node[] };
  const entry = (s.children ?? []).find((c) => c.type === "group" && nxClassOf(c) === "NXentry");
  if (!entry) throw new TypeError("--title: the structure has no NXentry group at its top");
  entry.children ??= [];
  const dataset = { module: "dataset", config: { name: "title", values: title, dtype: "string" } };
  const at = entry.children.findIndex((c) => c.module === "dataset" && c.config?.name === "title");
  if (at >= 0) entry.children[at] = dataset;
  else entry.children.push(dataset);
  return JSON.stringify(s);
}

interface Node {
  type?: string;
  module?: string;
  config?: { name?: string };
  attributes?: Record<string, unknown> | { name: string; values: unknown }[];
  children?: Node[];
}

function nxClassOf(n: Node): unknown {
  const a = n.attributes;
  return Array.isArray(a) ? a.find((x) => x.name === "NX_class")?.values : a?.NX_class;
}

/** The file name of a run started at `ms`: `run_20261205T121500Z.nxs`. */
export function runFilename(ms: number): string {
  return `run_${new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.nxs`;
}
