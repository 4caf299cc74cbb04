/**
 * Writes a parsed nexus_structure into a NeXus file (reference A.2): groups (an existing group is reused), static
 * datasets (an existing dataset only gets its attributes), attributes, and the automatic root attributes. The stream
 * modules, links and mdat items are returned as placements: the file writer opens the stream modules, then calls
 * {@linkcode writeLinks} (hard links, so their targets must exist), and {@linkcode writeMdat} at close.
 *
 * @module
 */
import h5wasm from "h5wasm/node";
import type { File, Group } from "h5wasm/node";
import { setStringAttribute, writeAttributes } from "../hdf/attributes.ts";
import { h5wasmDtype, StructureError } from "../hdf/dtypes.ts";
import { hdf5Version } from "../hdf/file.ts";
import {
  childPath,
  type DatasetNode,
  type NexusStructure,
  type StreamPlacement,
  streamsOf,
  type StructureNode,
} from "./structure_parse.ts";

/** Where mdat writes its start/stop times. */
export interface MdatPlacement {
  groupPath: string;
  items: ("start_time" | "end_time")[];
}

/** A hard link to create once the stream modules have made their datasets. */
export interface LinkPlacement {
  groupPath: string;
  name: string;
  target: string;
}

/**
 * Writes groups, static datasets, attributes and the automatic root attributes (HDF5_Version, file_name, creator,
 * file_time, plus dynamic_version/template_version when present); returns the placements of streams, mdat items and
 * links, and warnings (unknown keys, an `attributes` key inside a module config, ...).
 */
export function buildStructure(
  file: File,
  structure: NexusStructure,
  meta: { fileName: string; creator: string },
): { streams: StreamPlacement[]; mdat: MdatPlacement[]; links: LinkPlacement[]; warnings: string[] } {
  writeAttributes(file, structure.attributes);
  setStringAttribute(file, "HDF5_Version", hdf5Version());
  setStringAttribute(file, "file_name", meta.fileName);
  setStringAttribute(file, "creator", meta.creator);
  setStringAttribute(file, "file_time", new Date().toISOString());
  if (structure.dynamicVersion !== undefined) setStringAttribute(file, "dynamic_version", structure.dynamicVersion);
  if (structure.templateVersion !== undefined) setStringAttribute(file, "template_version", structure.templateVersion);
  const mdat: MdatPlacement[] = [];
  const links: LinkPlacement[] = [];
  const build = (group: Group, nodes: readonly StructureNode[]) => {
    for (const node of nodes) {
      if (node.kind === "group") {
        const child = groupAt(file, node.path);
        writeAttributes(child, node.attributes);
        build(child, node.children);
      } else if (node.kind === "dataset") {
        writeDataset(file, group, node);
      } else if (node.kind === "link") {
        links.push({ groupPath: group.path, name: node.name, target: node.target });
      } else if (node.kind === "mdat") {
        mdat.push({ groupPath: group.path, items: node.items });
      }
    }
  };
  build(file, structure.children);
  const { streams, skipped } = streamsOf(structure);
  return { streams, mdat, links, warnings: [...structure.warnings, ...skipped] };
}

/**
 * Creates the hard links (called after the stream modules created their datasets): target relative to the enclosing
 * group with leading "../" going up one level each, or absolute "/..."; a missing target is returned as a warning, not
 * thrown.
 */
export function writeLinks(file: File, links: readonly LinkPlacement[]): string[] {
  const warnings: string[] = [];
  for (const link of links) {
    const where = `link ${childPath(link.groupPath, link.name)} → ${link.target}`;
    const target = resolve(link.groupPath, link.target);
    if (target === undefined) {
      warnings.push(`${where}: the target goes above the root; not linked`);
      continue;
    }
    if (file.get(target) === null) {
      warnings.push(`${where}: the target ${target} does not exist; not linked`);
      continue;
    }
    if (file.get(childPath(link.groupPath, link.name)) !== null) {
      warnings.push(`${where}: the name is taken; not linked`);
      continue;
    }
    if (groupAt(file, link.groupPath).create_hard_link(target, link.name) < 0) {
      warnings.push(`${where}: HDF5 could not create the link`);
    }
  }
  return warnings;
}

/**
 * Writes /<group>/start_time and end_time as scalar strings, ISO-8601 UTC to the millisecond, e.g.
 * 2024-05-01T10:00:00.000Z. One that exists already (written before a crash during close) is kept: HDF5 strings cannot
 * be rewritten in place.
 */
export function writeMdat(file: File, mdat: readonly MdatPlacement[], startMs: number, endMs: number): void {
  for (const place of mdat) {
    const group = groupAt(file, place.groupPath);
    for (const item of place.items) {
      if (file.get(childPath(place.groupPath, item)) !== null) continue;
      const time = new Date(item === "start_time" ? startMs : endMs).toISOString();
      group.create_dataset({ name: item, data: [time], shape: [], dtype: "S" });
    }
  }
}

/** The group at `path`, created (with its parents) when missing; a dataset in the way is a StructureError. */
function groupAt(file: File, path: string): Group {
  if (path === "/") return file;
  const found = file.get(path);
  if (found instanceof h5wasm.Group) return found;
  if (found !== null) throw new StructureError(`${path} exists and is not a group`);
  const slash = path.lastIndexOf("/");
  const parent = groupAt(file, path.slice(0, slash) || "/");
  return parent.create_group(path.slice(slash + 1));
}

function writeDataset(file: File, group: Group, node: DatasetNode): void {
  const found = file.get(node.path);
  if (found instanceof h5wasm.Dataset) {
    writeAttributes(found, node.attributes);
    return;
  }
  if (found !== null) throw new StructureError(`${node.path} exists and is not a dataset`);
  const { type, shape, values } = node.data;
  const name = node.path.slice(node.path.lastIndexOf("/") + 1);
  const dataset = group.create_dataset({ name, data: values, shape, dtype: h5wasmDtype(type) });
  writeAttributes(dataset, node.attributes);
}

/** The absolute path of `target` seen from `groupPath`; undefined when it climbs above the root. */
function resolve(groupPath: string, target: string): string | undefined {
  const parts = target.startsWith("/") ? [] : groupPath.split("/").filter((p) => p !== "");
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return "/" + parts.join("/");
}
