/**
 * `nxflow sim`: runs the simulated instrument alone (the `sim` role of `nxflow start`, with options on the command
 * line): an EPICS Channel Access server with the instrument's PVs, and detector readout over UDP to EFUs.
 *
 * @module
 */
import { SIM_DEFAULTS } from "../sim/role.ts";
import { type Command, UsageError } from "./command.ts";
import { runStart } from "./start.ts";

const d = SIM_DEFAULTS;
const HELP = `Usage: nxflow sim [options]

Runs a simulated neutron instrument (BIFROST-like), each part an actor under a supervisor:

  * an EPICS Channel Access server (protocol 4.13, TCP + UDP search, beacons) serving, under the prefix:
      TEMP (K; ramps to TEMP:SP with noise; MINOR ≥ 320 K, MAJOR ≥ 350 K)   TEMP:SP (writable, 0..400)
      MOTOR.VAL (mm, writable)  MOTOR.RBV (moves at MOTOR.VELO mm/s, writable)  MOTOR.DMOV (1 = done)
      CHOPPER:SPEED (Hz)  CHOPPER:TDC (ns, array of the latest top-dead-centre times)
      BEAM:CURRENT (mA, writable)  SHUTTER (enum Closed/Open, writable)  SAMPLE:NAME (string, writable)
      PULSE:COUNT (long, +1 per pulse)  STATUS:MSG (char waveform, writable)  RUN:NUMBER (long, writable)
      DETECTOR:THRESHOLD (short, writable)  LOAD:S<i>, LOAD:A<i> (benchmark load)
    Every PV has units, limits, alarm status/severity and EPICS timestamps; all DBR types are served.
  * a detector sending ESS readout packets over UDP, 14 pulses per second: CAEN/BIFROST readouts to the detector
    EFU and beam monitor (CBM) readouts to the monitor EFU. Time-of-flight peaks move with the sample temperature
    (+0.1% per K), the image has structure (arcs, a ring per tube), monitor counts follow BEAM:CURRENT, and nothing
    arrives while SHUTTER is Closed. What was sent per pulse: GET /stats on the admin endpoint.

Sim options (defaults in brackets):
  --prefix P            PV name prefix [${d.prefix}]
  --ca-host HOST        CA server address [${d.caHost}]
  --ca-port N           CA server port, TCP and UDP search (0 = any free port) [${d.caPort}]
  --beacon-hosts LIST   hosts beacons go to, comma-separated [${d.beaconHosts}]
  --beacon-port N       their CA repeater port [${d.beaconPort}]
  --load-pvs N          benchmark scalars <prefix>LOAD:S0..N-1 [${d.loadPvs}]
  --load-arrays N       benchmark arrays <prefix>LOAD:A0..N-1 of doubles [${d.loadArrays}]
  --load-array-len L    elements per load array [${d.loadArrayLength}]
  --load-hz F           updates per second of every load PV [${d.loadHz}]
  --efu-host HOST       where the EFUs listen [${d.efuHost}]
  --detector-port N     UDP port of the detector (CAEN) EFU; -1 = off [${d.detectorPort}]
  --monitor-port N      UDP port of the beam monitor (CBM) EFU; -1 = off [${d.monitorPort}]
  --detector FILE       detector config of the CAEN stream (as for nxflow efu) [built-in BIFROST]
  --monitor FILE        detector config of the monitor stream [built-in 0D monitor, pixel 1]
  --event-rate N        detector events per second [${d.eventRate}]
  --monitor-rate N      monitor events per second per mA of beam current [${d.monitorPerMa}]
  --pulse-hz F          pulse frequency [${d.pulseHz}]
  --seed N              random seed [${d.seed}]

Process options (as for nxflow start):
  --config FILE         configuration file; its roles.sim section is the base for the flags above
  --admin-port N  --no-admin  --admin-host HOST  --enable-fault-injection  --log-format text|json

Clients find the server with EPICS_CA_ADDR_LIST (and EPICS_CA_SERVER_PORT when --ca-port is not 5064).

Examples:
  nxflow sim --event-rate 1e5 --detector-port 9000 --monitor-port 9001
  EPICS_CA_ADDR_LIST=127.0.0.1 EPICS_CA_AUTO_ADDR_LIST=NO caget SIM:TEMP
  caput SIM:TEMP:SP 330; camonitor SIM:TEMP SIM:MOTOR.RBV`;

const FLAGS: Record<string, [keyof typeof d, "number" | "string"]> = {
  prefix: ["prefix", "string"],
  "ca-host": ["caHost", "string"],
  "ca-port": ["caPort", "number"],
  "beacon-hosts": ["beaconHosts", "string"],
  "beacon-port": ["beaconPort", "number"],
  "load-pvs": ["loadPvs", "number"],
  "load-arrays": ["loadArrays", "number"],
  "load-array-len": ["loadArrayLength", "number"],
  "load-hz": ["loadHz", "number"],
  "efu-host": ["efuHost", "string"],
  "detector-port": ["detectorPort", "number"],
  "monitor-port": ["monitorPort", "number"],
  detector: ["detector", "string"],
  monitor: ["monitor", "string"],
  "event-rate": ["eventRate", "number"],
  "monitor-rate": ["monitorPerMa", "number"],
  "pulse-hz": ["pulseHz", "number"],
  seed: ["seed", "number"],
};

/** The sim's section from its flags (numbers checked here, ranges by the role). */
function section(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, [key, kind]] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (typeof v !== "string") continue;
    if (kind === "string") out[key] = v;
    else {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got "${v}"`);
      out[key] = n;
    }
  }
  return out;
}

/** The `sim` command. */
export const simCommand: Command = {
  name: "sim",
  summary: "simulated instrument: EPICS CA server with its PVs + detector readout to EFUs",
  help: HELP,
  run: (args) =>
    runStart(args, {
      role: "sim",
      flags: Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: "string" as const }])),
      section,
    }),
};
