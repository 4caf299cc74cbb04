/**
 * The sim role: a simulated instrument. Its CA server actor (`ca_server.ts`) serves the instrument's PVs over EPICS
 * Channel Access (`instrument.ts`: temperature, motor, chopper, beam current, … under `SIM:`), and its detector actor
 * (`detector.ts`) sends ESS readout packets shaped by that instrument to EFUs over UDP; the CA server tells the
 * detector the instrument state through their `instrument` channel. Both run under a `oneForOne` supervisor.
 *
 * Configuration (`roles.sim`, or `nxflow sim` options): see {@linkcode SIM_DEFAULTS}; `detectorPort`/`monitorPort`
 * -1 turn off a stream, both -1 leave out the detector actor.
 *
 * @module
 */
import { mergeChecked } from "../common/merge_checked.ts";
import { checkDetectorConfig, type DetectorConfig } from "../efu/detector_config.ts";
import type { Role } from "../roles.ts";
import type { SupervisorSpec } from "../runtime/child_spec.ts";
import type { CaServerConfig } from "./ca_server.ts";
import type { DetectorActorConfig } from "./detector.ts";

/** The sim's settings. */
export interface SimSettings {
  /** PV name prefix. */
  prefix: string;
  /** CA server address and port (TCP and UDP; 0 = a free one). */
  caHost: string;
  caPort: number;
  /** comma-separated hosts that get beacons, and their repeater port. */
  beaconHosts: string;
  beaconPort: number;
  beaconPeriodMs: number;
  /** largest CA payload a client may send, bytes. */
  maxPayload: number;
  /** benchmark load: scalar doubles `LOAD:S<i>` and arrays `LOAD:A<i>` of `loadArrayLength`, at `loadHz` each. */
  loadPvs: number;
  loadHz: number;
  loadArrays: number;
  loadArrayLength: number;
  /** where the EFUs listen: the detector (CAEN) and beam monitor (CBM) UDP ports; -1 = off. */
  efuHost: string;
  detectorPort: number;
  monitorPort: number;
  /** detector config files for the two streams; "" = BIFROST (caen) and a 0D beam monitor (cbm) built in. */
  detector: string;
  monitor: string;
  /** detector events per second with the shutter open; monitor events per second per mA of beam. */
  eventRate: number;
  monitorPerMa: number;
  pulseHz: number;
  seed: number;
}

/** Defaults of the sim's settings. */
export const SIM_DEFAULTS: SimSettings = {
  prefix: "SIM:",
  caHost: "0.0.0.0",
  caPort: 5064,
  beaconHosts: "127.0.0.1",
  beaconPort: 5065,
  beaconPeriodMs: 15_000,
  maxPayload: 16 << 20,
  loadPvs: 0,
  loadHz: 10,
  loadArrays: 0,
  loadArrayLength: 2048,
  efuHost: "127.0.0.1",
  detectorPort: 9000,
  monitorPort: 9001,
  detector: "",
  monitor: "",
  eventRate: 1_000_000,
  monitorPerMa: 5000,
  pulseHz: 14,
  seed: 1,
};

/** Checked settings with the detector configs loaded. */
export interface SimConfig extends SimSettings {
  detectorConfig: DetectorConfig;
  monitorConfig: DetectorConfig;
}

function loadDetector(path: string, fallback: Record<string, unknown>, where: string): DetectorConfig {
  if (!path) return checkDetectorConfig(fallback, where);
  let json: unknown;
  try {
    json = JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    throw new TypeError(`Cannot use ${where} "${path}": ${(error as Error).message}`);
  }
  return checkDetectorConfig(json, path);
}

/** Checks the sim's settings; throws naming the bad field. */
export function checkSimConfig(section: Record<string, unknown>, where: string): SimConfig {
  const c = mergeChecked(SIM_DEFAULTS, section, where);
  const int = (key: keyof SimSettings, min: number, max: number) => {
    const v = c[key] as number;
    if (!(Number.isInteger(v) && v >= min && v <= max)) {
      throw new RangeError(`Cannot use ${where}.${key}: must be an integer ${min}..${max}, got ${v}`);
    }
  };
  int("caPort", 0, 65535);
  int("beaconPort", 1, 65535);
  int("detectorPort", -1, 65535);
  int("monitorPort", -1, 65535);
  int("loadPvs", 0, 1_000_000);
  int("loadArrays", 0, 10_000);
  int("loadArrayLength", 1, 10_000_000);
  int("maxPayload", 1024, 2 ** 31);
  for (const key of ["loadHz", "eventRate", "monitorPerMa", "beaconPeriodMs"] as const) {
    if (!(c[key] >= 0 && Number.isFinite(c[key]))) throw new RangeError(`Cannot use ${where}.${key}: must be ≥ 0`);
  }
  if (!(c.pulseHz > 0 && c.pulseHz <= 1000)) throw new RangeError(`Cannot use ${where}.pulseHz: must be 0..1000`);
  if (!/^[\x21-\x7e]*$/.test(c.prefix)) throw new TypeError(`Cannot use ${where}.prefix: printable ASCII only`);
  return {
    ...c,
    detectorConfig: loadDetector(c.detector, { instrument: "bifrost", family: "caen" }, `${where}.detector`),
    monitorConfig: loadDetector(c.monitor, { instrument: "bifrost", family: "cbm" }, `${where}.monitor`),
  };
}

/** The sim's supervision subtree. */
export function simTree(c: SimConfig): SupervisorSpec {
  const here = (file: string) => new URL(file, import.meta.url);
  const detector = c.detectorPort >= 0 || c.monitorPort >= 0;
  return {
    id: "sim",
    strategy: "oneForOne",
    intensity: 10,
    periodMs: 10_000,
    children: [
      {
        id: "ca",
        module: here("./ca_server.ts"),
        config: {
          prefix: c.prefix,
          pulseHz: c.pulseHz,
          seed: c.seed,
          loadPvs: c.loadPvs,
          loadHz: c.loadHz,
          loadArrays: c.loadArrays,
          loadArrayLength: c.loadArrayLength,
          host: c.caHost,
          port: c.caPort,
          beaconHosts: c.beaconHosts.split(",").map((h) => h.trim()).filter(Boolean),
          beaconPort: c.beaconPort,
          beaconPeriodMs: c.beaconPeriodMs,
          maxPayload: c.maxPayload,
        } satisfies CaServerConfig,
        backoff: { initialMs: 200, maxMs: 5000 },
      },
      ...(detector
        ? [{
          id: "detector",
          module: here("./detector.ts"),
          config: {
            detector: c.detectorConfig,
            monitor: c.monitorConfig,
            host: c.efuHost,
            detectorPort: c.detectorPort,
            monitorPort: c.monitorPort,
            eventRate: c.eventRate,
            monitorPerMa: c.monitorPerMa,
            pulseHz: c.pulseHz,
            seed: c.seed,
            sequenceStore: new SharedArrayBuffer(8),
          } satisfies DetectorActorConfig,
        }]
        : []),
    ],
    channels: detector ? [{ name: "instrument", between: ["ca", "detector"] }] : [],
  };
}

/** The sim role of `nxflow start`. */
export const sim: Role<SimConfig> = {
  name: "sim",
  summary: "simulated instrument: EPICS CA server with its PVs + detector readout over UDP to EFUs",
  byDefault: true,
  check: checkSimConfig,
  tree: (c) => simTree(c),
};
