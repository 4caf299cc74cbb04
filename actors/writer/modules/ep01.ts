/**
 * Writer module "ep01" (also registered as "epics_con_info"): EPICS connection changes into the enclosing NXlog, as
 * kafka-to-nexus's ep01 writer does. Usually a companion of f144, tdct or se00.
 *
 * Datasets (chunk 1024): `connection_status` (int16: UNKNOWN 0, NEVER_CONNECTED 1, CONNECTED 2, DISCONNECTED 3,
 * DESTROYED 4, CANCELLED 5, FINISHED 6, REMOTE_ERROR 7) and `connection_status_time` (uint64 ns).
 *
 * @module
 */
import { ep01 } from "../../../schemas/ep01/codec.ts";
import type { EpicsPVConnectionInfo } from "../../../schemas/ep01/codec.ts";
import type { DecodedTable } from "../../../schemas/reader.ts";
import { enumNumber } from "./common.ts";
import { DatasetsModule, timeSpec } from "./datasets.ts";
import { type ModuleInit, sourceNameAndTimestamp, type WriterModuleType } from "./module.ts";

class Ep01Writer extends DatasetsModule {
  constructor(init: ModuleInit) {
    super(init, {
      connection_status_time: timeSpec(1024),
      connection_status: { dtype: "int16", chunkRows: 1024 },
    });
  }

  write(message: DecodedTable): number {
    const m = message as EpicsPVConnectionInfo;
    return this.d.get("connection_status_time").append([m.timestamp]) +
      this.d.get("connection_status").append([enumNumber(ep01.layout, "ConnectionInfo", m.status)]);
  }
}

/** The ep01 writer module type. */
export const ep01Module: WriterModuleType = {
  id: "ep01",
  schema: "ep01",
  sourceAndTime: sourceNameAndTimestamp,
  nxClass: "NXlog",
  acceptsRepeatedTimestamps: false,
  writesLastKnownValue: true,
  configKeys: [],
  open: (init) => new Ep01Writer(init),
};
