/**
 * Every detector family the EFU supports, keyed by name, and the interface a family implements (code-style §7.7).
 * Add a family by writing `families/<family>.ts` and adding one line to `FAMILIES`: help texts, the readout generator
 * and the packet arithmetic (`readoutsPerPacket`) read what they need from the family.
 *
 * @module
 */
import type { Counters } from "../counters.ts";
import { caenBifrost } from "./caen_bifrost.ts";
import { cbm } from "./cbm.ts";

/** Receives one event of a readout: its source (index into `sources`), time (ESS seconds, ticks) and pixel id. */
export type EventSink = (source: number, high: number, low: number, pixel: number) => void;

/** A family configured for one detector. */
export interface FamilyInstance {
  /** the ESS readout type byte accepted. */
  readonly type: number;
  /** bytes of one readout. */
  readonly readoutBytes: number;
  /** ev44 source names; events carry an index into this list. */
  readonly sources: readonly string[];
  /** the family's counter names (all created at 0). */
  readonly counterNames: readonly string[];
  /** Parses the readouts of `data` from `offset` to its end, counting rejects; calls `sink` for each valid event. */
  parse(data: Uint8Array, view: DataView, offset: number, counters: Counters, sink: EventSink): void;
  /**
   * Writes one readout at `offset` that the parser turns into `pixel` at the given time; `false` (nothing written)
   * when no readout maps exactly to that pixel. The generator uses it.
   */
  write(view: DataView, offset: number, pixel: number, high: number, low: number): boolean;
  /** The largest pixel id. */
  readonly maxPixel: number;
}

/** A detector family: its config fields with defaults and a constructor that checks them. */
export interface Family<C extends object = object> {
  name: string;
  /** one line for help texts. */
  summary: string;
  /** config fields and their defaults (the `geometry` section of a detector config). */
  defaults: C;
  /** Checks a merged config; throws `RangeError`/`TypeError` naming the field. */
  create(config: C, where: string): FamilyInstance;
}

/** Every family, by name. */
export const FAMILIES: Readonly<Record<string, Family>> = {
  [caenBifrost.name]: caenBifrost as unknown as Family,
  [cbm.name]: cbm as unknown as Family,
};
