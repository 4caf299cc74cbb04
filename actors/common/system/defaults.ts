/**
 * The whole system `nxflow start` runs when the configuration names no roles: the simulated BIFROST-like instrument
 * (`sim`), two EFUs reading its detector and beam monitor readout, the forwarder monitoring its PVs, and the file
 * writer, whose runs use the instrument's NeXus structure shipped beside this module ({@linkcode SYSTEM_FILES}).
 *
 * {@linkcode systemRoles} builds the roles section; its ports can be moved (tests use free ones) without changing
 * anything else, so that a test runs the same system as `deno task start`.
 *
 * @module
 */

const here = (file: string) => new URL(file, import.meta.url).pathname;

/** The files of the simulated instrument that ship with nxflow. */
export const SYSTEM_FILES = {
  /** BIFROST CAEN detector, one source `bifrost_detector`. */
  detector: here("./bifrost_detector.json"),
  /** a 0D beam monitor, source `bifrost_monitor`. */
  monitor: here("./bifrost_monitor.json"),
  /** the forwarder's streams: the sim's PVs as f144 (periodic), the chopper's TDC as tdct, on `bifrost_epics`. */
  streams: here("./forwarder_streams.json"),
  /** the nexus_structure of a run (`nxflow run start`). */
  structure: here("./nexus_structure.json"),
} as const;

/** Kafka topics of the default system. */
export const SYSTEM_TOPICS = {
  detector: "bifrost_detector",
  monitor: "bifrost_beam_monitor",
  epics: "bifrost_epics",
} as const;

/** The ports of the default system (UDP readout, CA, EFU command APIs); 0 for a command port picks a free one. */
export interface SystemPorts {
  caPort: number;
  beaconPort: number;
  detectorPort: number;
  monitorPort: number;
  detectorCommandPort: number;
  monitorCommandPort: number;
}

/** The default ports: EPICS CA's own 5064/5065 (on loopback), the EFUs' 9000/9001 and 8888/8889. */
export const SYSTEM_PORTS: SystemPorts = {
  caPort: 5064,
  beaconPort: 5065,
  detectorPort: 9000,
  monitorPort: 9001,
  detectorCommandPort: 8888,
  monitorCommandPort: 8889,
};

/**
 * The `roles` section of the default system; `ports` and the writer's output folder may be moved (tests do).
 * The sim sends to the EFUs on loopback and serves CA on 127.0.0.1 only.
 */
export function systemRoles(
  ports: Partial<SystemPorts> = {},
  hdfOutputPrefix = ".",
): Record<string, Record<string, unknown>> {
  const p = { ...SYSTEM_PORTS, ...ports };
  return {
    efu: {
      instances: {
        detector: {
          detector: SYSTEM_FILES.detector,
          port: p.detectorPort,
          commandPort: p.detectorCommandPort,
          topic: SYSTEM_TOPICS.detector,
        },
        monitor: {
          detector: SYSTEM_FILES.monitor,
          port: p.monitorPort,
          commandPort: p.monitorCommandPort,
          topic: SYSTEM_TOPICS.monitor,
          monitorEvery: 0,
        },
      },
    },
    sim: {
      caHost: "127.0.0.1",
      caPort: p.caPort,
      beaconPort: p.beaconPort,
      efuHost: "127.0.0.1",
      detectorPort: p.detectorPort,
      monitorPort: p.monitorPort,
      detector: SYSTEM_FILES.detector,
      monitor: SYSTEM_FILES.monitor,
      eventRate: 100_000,
    },
    forwarder: {
      caAddrList: "127.0.0.1",
      caServerPort: p.caPort,
      groups: 1,
      // the f144 streams are periodic: their last value again each 5 s (same EPICS time), so that a run finds each
      // slow PV's last value before its start within the writer's 10 s of time before start
      pvUpdatePeriodMs: 5000,
      streams: SYSTEM_FILES.streams,
    },
    writer: { hdfOutputPrefix },
  };
}
