/**
 * The EFU's detector configuration (a JSON file, `nxflow efu --detector FILE`): the instrument name, the detector
 * family and its geometry section, and the time checks. Checked once at start-up; a mistake stops the start with an
 * error naming the field.
 *
 * ```json
 * { "instrument": "bifrost", "family": "caen", "maxPulseTimeDiffNs": 357142855, "maxTofNs": 1428571420,
 *   "geometry": { "maxRing": 2 } }
 * ```
 *
 * @module
 */
import { mergeChecked } from "../common/merge_checked.ts";
import { FAMILIES, type FamilyInstance } from "./families/registry.ts";

/** ESS pulse period at 14 Hz, ns. */
export const PULSE_PERIOD_NS = 71_428_571;

/** A detector configuration, defaults applied. */
export interface DetectorConfig {
  instrument: string;
  family: string;
  /** largest pulse − previous pulse (5 periods, as CAEN). */
  maxPulseTimeDiffNs: number;
  /** largest time of flight (20 periods, as CAEN); at most 2^31 − 1. */
  maxTofNs: number;
  /** the family's own fields, see `families/<family>.ts`. */
  geometry: Record<string, unknown>;
}

const DEFAULTS = {
  instrument: "",
  family: "",
  maxPulseTimeDiffNs: 5 * PULSE_PERIOD_NS,
  maxTofNs: 20 * PULSE_PERIOD_NS,
  geometry: {},
};

/** Checks a parsed detector configuration and applies defaults; throws naming the bad field. */
export function checkDetectorConfig(json: unknown, where: string): DetectorConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new TypeError(`Cannot use ${where}: must be a JSON object`);
  }
  const { geometry, ...rest } = json as Record<string, unknown>;
  const c = { ...mergeChecked(DEFAULTS, rest, where), geometry: {} } as DetectorConfig;
  if (!/^[a-z0-9_]+$/.test(c.instrument)) {
    throw new RangeError(`Cannot use ${where}.instrument: lower-case letters, digits and _, got "${c.instrument}"`);
  }
  const family = FAMILIES[c.family];
  if (!family) {
    throw new RangeError(`Cannot use ${where}.family "${c.family}"; known: ${Object.keys(FAMILIES).join(", ")}`);
  }
  if (!(c.maxPulseTimeDiffNs >= 0)) throw new RangeError(`Cannot use ${where}.maxPulseTimeDiffNs: must be ≥ 0`);
  if (!(c.maxTofNs >= 0 && c.maxTofNs <= 2 ** 31 - 1)) {
    throw new RangeError(`Cannot use ${where}.maxTofNs: must be 0..2147483647 (ev44 holds int32)`);
  }
  c.geometry = mergeChecked(family.defaults, geometry, `${where}.geometry`) as Record<string, unknown>;
  family.create(c.geometry as never, `${where}.geometry`);
  return c;
}

/** Reads and checks a detector configuration file. */
export async function loadDetectorConfig(path: string): Promise<DetectorConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new TypeError(`Cannot read detector config "${path}": ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`Cannot parse detector config "${path}": ${(error as Error).message}`);
  }
  return checkDetectorConfig(json, path);
}

/** The family instance of a checked configuration. */
export function familyOf(c: DetectorConfig): FamilyInstance {
  return FAMILIES[c.family].create(c.geometry as never, "geometry");
}
