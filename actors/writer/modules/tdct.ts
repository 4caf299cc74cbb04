/**
 * Writer module "tdct": chopper top-dead-centre timestamps into NXlog, as kafka-to-nexus's tdct writer does. The
 * source name is the message's `name`.
 *
 * Datasets (chunked by `chunk_size` elements, default 4096): every timestamp of a message → `time` (uint64 ns); one
 * cue per message: `cue_index` ← the index in `time` of its first timestamp, `cue_timestamp_zero` ← that timestamp.
 * Messages without timestamps are skipped. Companions al00 and ep01 are added unless switched off.
 *
 * @module
 */
import type { timestamp } from "../../../schemas/tdct/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import { intOption } from "./common.ts";
import { DatasetsModule, timeAndCueSpecs } from "./datasets.ts";
import { EPICS_COMPANIONS } from "./f144.ts";
import type { ModuleInit, WriterModuleType } from "./module.ts";

class TdctWriter extends DatasetsModule {
  constructor(init: ModuleInit) {
    super(init, timeAndCueSpecs(intOption(init.config, "chunk_size", 4096)));
  }

  write(message: DecodedTable): number {
    const times = (message as timestamp).timestamps;
    if (times.length === 0) return 0;
    const time = this.d.get("time");
    return this.d.cue(time.rows, times[0]) + time.append(times);
  }
}

/** The tdct writer module type. */
export const tdctModule: WriterModuleType = {
  id: "tdct",
  schema: "tdct",
  sourceAndTime: (m) => ({ source: m.name, time: (m.timestamps as BigUint64Array)[0] }),
  nxClass: "NXlog",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: ["chunk_size", "enable_alarm_info", "enable_epics_con_info"],
  companions: EPICS_COMPANIONS,
  open: (init) => new TdctWriter(init),
};
