/**
 * Parses and checks kafka-to-nexus's `nexus_structure` JSON (reference A.2) into a typed tree, without touching
 * HDF5: the command handler parses before it starts a job and answers 500 on a {@linkcode StructureError}. Values are
 * typed here (static datasets, attributes), so building the file cannot fail on the JSON any more.
 *
 * Node kinds: groups (`"type": "group"`), static datasets (`"module": "dataset"`), links (`"module": "link"`), mdat
 * (`"module": "mdat"`), and stream modules (any other module id; whether it exists is decided by the writer module
 * registry, not here). Not fatal, reported as warnings: unknown keys, a group without a name, a node that is neither
 * a group nor a module, a link without a name or source, an `attributes` key inside a module config (ignored).
 *
 * @module
 */
import { type AttributeSpec, parseAttributes } from "../hdf/attributes.ts";
import { parseJsonExact, plainNumbers, StructureError, type TypedValues, typedValues } from "../hdf/dtypes.ts";

export { StructureError };

/** A group node. */
export interface GroupNode {
  kind: "group";
  /** the group's absolute path. */
  path: string;
  attributes: AttributeSpec[];
  children: StructureNode[];
}

/** A static dataset. */
export interface DatasetNode {
  kind: "dataset";
  /** the dataset's absolute path. */
  path: string;
  data: TypedValues;
  attributes: AttributeSpec[];
}

/** A stream (writer module) writing into its enclosing group. */
export interface StreamNode {
  kind: "stream";
  module: string;
  /** the module config, `attributes` removed, integers as numbers. */
  config: Record<string, unknown>;
}

/** A hard link in the enclosing group. */
export interface LinkNode {
  kind: "link";
  name: string;
  /** relative to the enclosing group (leading "../" go up) or absolute. */
  target: string;
}

/** Start/stop time datasets written at close. */
export interface MdatNode {
  kind: "mdat";
  items: ("start_time" | "end_time")[];
}

/** One node of the tree. */
export type StructureNode = GroupNode | DatasetNode | StreamNode | LinkNode | MdatNode;

/** A parsed nexus_structure. */
export interface NexusStructure {
  /** attributes of the root group. */
  attributes: AttributeSpec[];
  dynamicVersion?: string;
  templateVersion?: string;
  children: StructureNode[];
  /** problems that are only logged. */
  warnings: string[];
}

/** Where a stream module writes. */
export interface StreamPlacement {
  groupPath: string;
  module: string;
  config: Record<string, unknown>;
}

const ROOT_KEYS = new Set(["children", "attributes", "dynamic_version", "template_version"]);
const GROUP_KEYS = new Set(["type", "name", "children", "attributes"]);
const MODULE_KEYS = new Set(["module", "config", "attributes"]);
/** `size` and `string_size` are obsolete dataset keys, ignored without a warning. */
const DATASET_CONFIG_KEYS = new Set(["name", "values", "value", "dtype", "type", "size", "string_size"]);
const MDAT_ITEMS = new Set(["start_time", "end_time"]);

/**
 * Parses and checks the nexus_structure JSON text without touching HDF5 (the command handler calls it to answer 500
 * "Could not parse NeXus structure JSON: ..." before starting a job).
 */
export function parseStructure(json: string): NexusStructure {
  let root: unknown;
  try {
    root = parseJsonExact(json);
  } catch (e) {
    throw new StructureError(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(root)) throw new StructureError('the top level must be a JSON object with "children"');
  const warnings: string[] = [];
  unknownKeys(root, ROOT_KEYS, "the top level", warnings);
  return {
    attributes: parseAttributes(root.attributes, "/"),
    dynamicVersion: optionalString(root.dynamic_version, "dynamic_version"),
    templateVersion: optionalString(root.template_version, "template_version"),
    children: parseChildren(root.children, "/", warnings),
    warnings,
  };
}

/**
 * The stream modules (any module id other than dataset, link, mdat), with topic and source present; `skipped` lists
 * modules without source/topic, with reasons (logged, not fatal).
 */
export function streamsOf(structure: NexusStructure): { streams: StreamPlacement[]; skipped: string[] } {
  const streams: StreamPlacement[] = [];
  const skipped: string[] = [];
  const visit = (nodes: readonly StructureNode[], groupPath: string) => {
    for (const node of nodes) {
      if (node.kind === "group") visit(node.children, node.path);
      if (node.kind !== "stream") continue;
      const missing = ["topic", "source"].filter((key) =>
        typeof node.config[key] !== "string" || node.config[key] === ""
      );
      if (missing.length === 0) streams.push({ groupPath, module: node.module, config: node.config });
      else skipped.push(`${groupPath}: module ${node.module} skipped: its config has no ${missing.join(" and no ")}`);
    }
  };
  visit(structure.children, "/");
  return { streams, skipped };
}

/** The absolute path of `name` in the group at `parent`. */
export function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

function parseChildren(children: unknown, parent: string, warnings: string[]): StructureNode[] {
  if (children === undefined) return [];
  if (!Array.isArray(children)) throw new StructureError(`${parent}: "children" must be an array`);
  const nodes: StructureNode[] = [];
  children.forEach((child, i) => {
    const node = parseNode(child, parent, `${parent}: child ${i}`, warnings);
    if (node) nodes.push(node);
  });
  return nodes;
}

function parseNode(json: unknown, parent: string, where: string, warnings: string[]): StructureNode | undefined {
  if (!isObject(json)) throw new StructureError(`${where} is not a JSON object`);
  if (json.type === "group") {
    if (typeof json.name !== "string" || json.name === "") {
      warnings.push(`${where}: a group without a name is skipped, with its children`);
      return undefined;
    }
    const path = childPath(parent, checkedName(json.name, where));
    unknownKeys(json, GROUP_KEYS, path, warnings);
    return {
      kind: "group",
      path,
      attributes: parseAttributes(json.attributes, path),
      children: parseChildren(json.children, path, warnings),
    };
  }
  if (typeof json.module !== "string" || json.module === "") {
    warnings.push(`${where} is skipped: neither a group ("type": "group") nor a module ("module": ...)`);
    return undefined;
  }
  unknownKeys(json, MODULE_KEYS, `${where} (module ${json.module})`, warnings);
  const config = json.config ?? {};
  if (!isObject(config)) throw new StructureError(`${where} (module ${json.module}): "config" must be an object`);
  switch (json.module) {
    case "dataset":
      return parseDataset(config, json.attributes, parent, where, warnings);
    case "link":
      return parseLink(config, parent, where, warnings);
    case "mdat":
      return parseMdat(config, parent);
  }
  if (json.attributes !== undefined) {
    warnings.push(`${parent}: the attributes of module ${json.module} are ignored (give them to the group)`);
  }
  const { attributes, ...rest } = config;
  if (attributes !== undefined) {
    warnings.push(`${parent}: module ${json.module}: an "attributes" key in a module config is ignored`);
  }
  return { kind: "stream", module: json.module, config: plainNumbers(rest) as Record<string, unknown> };
}

function parseDataset(
  config: Record<string, unknown>,
  attributes: unknown,
  parent: string,
  where: string,
  warnings: string[],
): DatasetNode {
  if (typeof config.name !== "string" || config.name === "") {
    throw new StructureError(`${where}: a dataset needs a "name" in its config`);
  }
  const path = childPath(parent, checkedName(config.name, where));
  unknownKeys(config, DATASET_CONFIG_KEYS, `${path} (dataset config)`, warnings);
  const value = config.values ?? config.value;
  if (value === undefined) throw new StructureError(`${path}: a dataset needs "values" in its config`);
  return {
    kind: "dataset",
    path,
    data: typedValues(value, config.dtype ?? config.type, "float64", path),
    attributes: parseAttributes(attributes, path),
  };
}

function parseLink(
  config: Record<string, unknown>,
  parent: string,
  where: string,
  warnings: string[],
): LinkNode | undefined {
  const { name, source } = config;
  if (typeof name !== "string" || name === "" || typeof source !== "string" || source === "") {
    warnings.push(`${where}: a link needs "name" and "source" strings in its config; skipped`);
    return undefined;
  }
  unknownKeys(config, new Set(["name", "source"]), `${childPath(parent, name)} (link config)`, warnings);
  return { kind: "link", name: checkedName(name, where), target: source };
}

function parseMdat(config: Record<string, unknown>, parent: string): MdatNode {
  const { items } = config;
  if (!Array.isArray(items)) throw new StructureError(`${parent}: mdat needs "items": ["start_time", "end_time"]`);
  for (const item of items) {
    if (typeof item !== "string" || !MDAT_ITEMS.has(item)) {
      throw new StructureError(`${parent}: mdat item ${JSON.stringify(item)} is not start_time or end_time`);
    }
  }
  return { kind: "mdat", items: [...new Set(items as ("start_time" | "end_time")[])] };
}

/** A name of one HDF5 link: not "." or "..", no "/". */
function checkedName(name: string, where: string): string {
  if (name.includes("/") || name === "." || name === "..") {
    throw new StructureError(`${where}: ${JSON.stringify(name)} is not a valid name (one level, no "/")`);
  }
  return name;
}

function optionalString(value: unknown, key: string): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  throw new StructureError(`"${key}" must be a string`);
}

function unknownKeys(json: Record<string, unknown>, known: ReadonlySet<string>, where: string, warnings: string[]) {
  for (const key of Object.keys(json)) {
    if (!known.has(key)) warnings.push(`${where}: unknown key "${key}" is ignored`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
