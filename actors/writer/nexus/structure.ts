/**
 * The nexus_structure of a file-writing job (kafka-to-nexus's JSON, reference A.2): {@linkcode parseStructure}
 * checks it without HDF5 (the command handler), {@linkcode streamsOf} lists its stream modules, and
 * {@linkcode buildStructure}, {@linkcode writeLinks} and {@linkcode writeMdat} write it into a file (the file
 * writer). Parsing is in `structure_parse.ts`, writing in `structure_build.ts`.
 *
 * @example
 * ```ts
 * const structure = parseStructure(plan.structure); // StructureError → answ 500
 * const placed = buildStructure(file, structure, { fileName: plan.filename, creator: plan.creator });
 * // open the stream modules of placed.streams, then:
 * const linkWarnings = writeLinks(file, placed.links);
 * // ... at close:
 * writeMdat(file, placed.mdat, plan.startMs, stopMs);
 * ```
 *
 * @module
 */
export {
  type DatasetNode,
  type GroupNode,
  type LinkNode,
  type MdatNode,
  type NexusStructure,
  parseStructure,
  type StreamNode,
  type StreamPlacement,
  streamsOf,
  StructureError,
  type StructureNode,
} from "./structure_parse.ts";
export { buildStructure, type LinkPlacement, type MdatPlacement, writeLinks, writeMdat } from "./structure_build.ts";
