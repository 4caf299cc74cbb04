/**
 * Every writer module type by its `nexus_structure` module id, as kafka-to-nexus's writer registry has them (al00 is
 * also "alarm_info" and ep01 "epics_con_info"), plus ev42 and f142 that it has since removed; the expansion of a
 * placement into the module itself and its companions; and the source and time of a message, read by the module type
 * of its schema. A new module is its file and one line in `TYPES`.
 *
 * @module
 */
import { ad00Module } from "./ad00.ts";
import { al00Module } from "./al00.ts";
import { da00Module } from "./da00.ts";
import { ep01Module } from "./ep01.ts";
import { ev42Module } from "./ev42.ts";
import { ev44Module } from "./ev44.ts";
import { f142Module } from "./f142.ts";
import { f144Module } from "./f144.ts";
import { ModuleConfigError, type WriterModuleType } from "./module.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import { se00Module } from "./se00.ts";
import { tdctModule } from "./tdct.ts";

const TYPES = [
  ev44Module,
  f144Module,
  al00Module,
  ep01Module,
  tdctModule,
  se00Module,
  da00Module,
  ad00Module,
  ev42Module,
  f142Module,
];

/** Writer module types by module id, aliases included. */
export const WRITER_MODULES: ReadonlyMap<string, WriterModuleType> = new Map([
  ...TYPES.map((t) => [t.id, t] as const),
  ["alarm_info", al00Module],
  ["epics_con_info", ep01Module],
]);

/** The writer module type of a module id or alias; undefined when there is none. */
export function moduleType(id: string): WriterModuleType | undefined {
  return WRITER_MODULES.get(id);
}

/** The stream keys a companion is given: it reads the same topic and source. */
const STREAM_KEYS = ["topic", "source"];

/**
 * One stream placement as the module instances it opens: its own module with its config, then each companion (al00
 * and ep01 for f144, tdct and se00; ep01 for f142) whose switch (`enable_alarm_info`, `enable_epics_con_info`) is not
 * `false`, with the placement's topic and source. Throws `ModuleConfigError` for an unknown module id or a switch
 * that is not a boolean.
 */
export function withCompanions(
  placement: { module: string; config: Record<string, unknown> },
): { type: WriterModuleType; config: Record<string, unknown> }[] {
  const type = moduleType(placement.module);
  if (!type) throw new ModuleConfigError(`unknown writer module ${JSON.stringify(placement.module)}`);
  const out = [{ type, config: placement.config }];
  for (const companion of type.companions ?? []) {
    const enabled = placement.config[companion.enabledBy] ?? true;
    if (typeof enabled !== "boolean") {
      throw new ModuleConfigError(`config "${companion.enabledBy}" must be true or false`);
    }
    if (!enabled) continue;
    const config: Record<string, unknown> = {};
    for (const key of STREAM_KEYS) if (key in placement.config) config[key] = placement.config[key];
    out.push({ type: moduleType(companion.module)!, config });
  }
  return out;
}

/** The module type that writes each schema (the first registered, should two share one). */
const BY_SCHEMA: ReadonlyMap<string, WriterModuleType> = new Map(TYPES.toReversed().map((t) => [t.schema, t]));

/**
 * The source name and timestamp (ns) of a message of a schema the file writer writes, read by the module type of that
 * schema, or null for any other schema. A missing source name reads as "" and a missing timestamp (an ev44 without
 * pulses, a tdct without timestamps) as 0n, which the caller rejects like a zero timestamp.
 */
export function sourceAndTime(
  schemaId: string,
  message: DecodedTable,
): { source: string; timestampNs: bigint } | null {
  const type = BY_SCHEMA.get(schemaId);
  if (!type) return null;
  const { source, time } = type.sourceAndTime(message);
  return { source: typeof source === "string" ? source : "", timestampNs: typeof time === "bigint" ? time : 0n };
}
