/**
 * Writer module "al00" (also registered as "alarm_info"): EPICS alarm changes into the enclosing NXlog, as
 * kafka-to-nexus's al00 writer does. Usually a companion of f144, tdct or se00.
 *
 * Datasets (chunk 1024): `alarm_message` (fixed 200-byte UTF-8 string; an empty message is stored as
 * "NO ALARM MESSAGE"), `alarm_severity` (int16: OK 0, MINOR 1, MAJOR 2, INVALID 3) and `alarm_time` (uint64 ns).
 *
 * @module
 */
import { al00 } from "../../../schemas/al00/codec.ts";
import type { Alarm } from "../../../schemas/al00/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import { enumNumber } from "./common.ts";
import { DatasetsModule, timeSpec } from "./datasets.ts";
import { type ModuleInit, sourceNameAndTimestamp, type WriterModuleType } from "./module.ts";

class Al00Writer extends DatasetsModule {
  constructor(init: ModuleInit) {
    super(init, {
      alarm_message: { dtype: { fixedString: 200 }, chunkRows: 1024 },
      alarm_time: timeSpec(1024),
      alarm_severity: { dtype: "int16", chunkRows: 1024 },
    });
  }

  write(message: DecodedTable): number {
    const m = message as Alarm;
    return this.d.get("alarm_time").append([m.timestamp]) +
      this.d.get("alarm_severity").append([enumNumber(al00.layout, "Severity", m.severity)]) +
      this.d.get("alarm_message").append([m.message || "NO ALARM MESSAGE"]);
  }
}

/** The al00 writer module type. */
export const al00Module: WriterModuleType = {
  id: "al00",
  schema: "al00",
  sourceAndTime: sourceNameAndTimestamp,
  nxClass: "NXlog",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: [],
  open: (init) => new Al00Writer(init),
};
