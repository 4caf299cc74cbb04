/**
 * The source name and flatbuffer timestamp of a decoded message, per schema, as kafka-to-nexus's metadata extractors
 * read them: the key of the source filters (source name + schema) and the time they filter on.
 *
 * @module
 */
import type { DecodedTable } from "../../../schemas/reader.ts";

/** Where a schema keeps its source name and timestamp. */
type Extractor = (m: DecodedTable) => { source: unknown; time: unknown };

const fromTimestamp: Extractor = (m) => ({ source: m.source_name, time: m.timestamp });

const EXTRACTORS: Record<string, Extractor> = {
  ev44: (m) => ({ source: m.source_name, time: (m.reference_time as BigInt64Array)[0] }),
  f144: fromTimestamp,
  al00: fromTimestamp,
  ep01: fromTimestamp,
  da00: fromTimestamp,
  ad00: fromTimestamp,
  f142: fromTimestamp,
  se00: (m) => ({ source: m.name, time: m.packet_timestamp }),
  tdct: (m) => ({ source: m.name, time: (m.timestamps as BigUint64Array)[0] }),
  ev42: (m) => ({ source: m.source_name, time: m.pulse_time }),
};

/**
 * The source name and timestamp (ns) of a message of a schema the file writer writes, or null for any other
 * schema. A missing source name reads as "" and a missing timestamp (an ev44 without pulses, a tdct without
 * timestamps) as 0n, which the caller rejects like a zero timestamp.
 */
export function sourceAndTime(
  schemaId: string,
  message: DecodedTable,
): { source: string; timestampNs: bigint } | null {
  const extract = Object.hasOwn(EXTRACTORS, schemaId) ? EXTRACTORS[schemaId] : undefined;
  if (!extract) return null;
  const { source, time } = extract(message);
  return { source: typeof source === "string" ? source : "", timestampNs: typeof time === "bigint" ? time : 0n };
}
