/**
 * The simulated instrument's PVs and their physics, under a prefix (default `SIM:`):
 *
 * - `TEMP`: double, K; sample temperature: ramps towards `TEMP:SP` (time constant 2 s) with 0.01 K noise; HIGH ≥ 320 K
 *   (MINOR), HIHI ≥ 350 K (MAJOR), LOW ≤ 10 K, LOLO ≤ 5 K
 * - `TEMP:SP`: double, K, writable; setpoint, 0..400 (a put outside fails)
 * - `MOTOR.VAL` / `.RBV` / `.VELO` / `.DMOV`: double mm writable / double mm / float mm/s writable / short; the
 *   readback moves to VAL at VELO; DMOV 1 when done
 * - `CHOPPER:SPEED`: double, Hz; 14 with a little jitter
 * - `CHOPPER:TDC`: long[≤ 64], ns; top-dead-centre times since the previous update, as offsets from the update's EPICS
 *   time (≤ 0; the forwarder's tdct adds them to it)
 * - `BEAM:CURRENT`: double, mA, writable; proton beam current; the beam monitor's counts follow it
 * - `SHUTTER`: enum Closed/Open, writable; no neutrons reach the detector while Closed
 * - `SAMPLE:NAME`: string, writable
 * - `PULSE:COUNT`: long; pulses since start (one update per pulse: a gap-free sequence)
 * - `STATUS:MSG`: char[256], writable; a status text as a char waveform
 * - `RUN:NUMBER`: long, writable
 * - `DETECTOR:THRESHOLD`: short, ADC, writable; 0..4095
 * - `LOAD:S<i>`, `LOAD:A<i>`: double, double[L]; benchmark load: `loadPvs` scalars and `loadArrays` arrays, each
 *   updated at `loadHz`
 *
 * Pure model: the CA server actor calls `pulse` at 14 Hz and `load` at `loadHz`.
 *
 * @module
 */
import type { InstrumentState } from "../../protocols/sim.ts";
import { seededRandom } from "../common/seeded_random.ts";
import { nowNs, type Pv, PvDirectory } from "./pv.ts";

/** What to serve. */
export interface InstrumentConfig {
  prefix: string;
  pulseHz: number;
  seed: number;
  loadPvs: number;
  loadArrays: number;
  loadArrayLength: number;
}

/** The instrument: its PVs, and the steps that move them. */
export interface Instrument {
  pvs: PvDirectory;
  /** Advances the physics by one pulse at `nowNs` (ns since the epoch). */
  pulse(nowNs: bigint): void;
  /** Updates every load PV once. */
  load(): void;
  /** What the detector needs to shape its data. */
  state(): InstrumentState;
}

/** Builds the instrument's PVs; see the module doc. */
export function createInstrument(c: InstrumentConfig): Instrument {
  const pvs = new PvDirectory();
  const p = c.prefix;
  const random = seededRandom(c.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const kelvin = { upperDisp: 400, lowerDisp: 0, upperCtrl: 400, lowerCtrl: 0 };
  const temp = pvs.add({
    name: `${p}TEMP`,
    type: "double",
    units: "K",
    precision: 3,
    value: 295,
    limits: { ...kelvin, upperAlarm: 350, upperWarning: 320, lowerWarning: 10, lowerAlarm: 5 },
  });
  const setpoint = pvs.add({
    name: `${p}TEMP:SP`,
    type: "double",
    units: "K",
    precision: 3,
    value: 295,
    limits: kelvin,
    writable: true,
  });
  setpoint.onPut = (v) => inRange(setpoint, v) && (setpoint.set(v), true);
  const mm = { upperDisp: 100, lowerDisp: -100, upperCtrl: 100, lowerCtrl: -100 };
  const val = pvs.add({ name: `${p}MOTOR.VAL`, type: "double", units: "mm", precision: 3, limits: mm, writable: true });
  val.onPut = (v) => inRange(val, v) && (val.set(v), dmov.set(0), true);
  const rbv = pvs.add({ name: `${p}MOTOR.RBV`, type: "double", units: "mm", precision: 3, limits: mm });
  const velo = pvs.add({
    name: `${p}MOTOR.VELO`,
    type: "float",
    units: "mm/s",
    precision: 2,
    value: 5,
    limits: { upperDisp: 50, lowerDisp: 0, upperCtrl: 50, lowerCtrl: 0.01 },
    writable: true,
  });
  velo.onPut = (v) => inRange(velo, v) && (velo.set(v), true);
  const dmov = pvs.add({ name: `${p}MOTOR.DMOV`, type: "short", value: 1, limits: { upperDisp: 1, lowerDisp: 0 } });
  const speed = pvs.add({
    name: `${p}CHOPPER:SPEED`,
    type: "double",
    units: "Hz",
    precision: 3,
    value: c.pulseHz,
    limits: { upperDisp: 100, lowerDisp: 0 },
  });
  const tdc = pvs.add({ name: `${p}CHOPPER:TDC`, type: "long", count: 64, units: "ns", value: [] });
  const beam = pvs.add({
    name: `${p}BEAM:CURRENT`,
    type: "double",
    units: "mA",
    precision: 2,
    value: 2,
    limits: { upperDisp: 70, lowerDisp: 0, upperCtrl: 70, lowerCtrl: 0 },
    writable: true,
  });
  beam.onPut = (v) => inRange(beam, v) && (beam.set(v), true);
  const shutter = pvs.add({
    name: `${p}SHUTTER`,
    type: "enum",
    enumStrings: ["Closed", "Open"],
    value: 1,
    writable: true,
  });
  shutter.onPut = (v) => (v[0] === 0 || v[0] === 1) && (shutter.set(v), true);
  pvs.add({ name: `${p}SAMPLE:NAME`, type: "string", value: "vanadium", writable: true });
  const count = pvs.add({ name: `${p}PULSE:COUNT`, type: "long", limits: { upperDisp: 2 ** 31 - 1, lowerDisp: 0 } });
  const message = new TextEncoder().encode("running: 14 Hz, shutter open");
  pvs.add({ name: `${p}STATUS:MSG`, type: "char", count: 256, value: [...message, 0], writable: true });
  pvs.add({ name: `${p}RUN:NUMBER`, type: "long", value: 1, writable: true });
  const threshold = pvs.add({
    name: `${p}DETECTOR:THRESHOLD`,
    type: "short",
    units: "ADC",
    value: 100,
    limits: { upperDisp: 4095, lowerDisp: 0, upperCtrl: 4095, lowerCtrl: 0 },
    writable: true,
  });
  threshold.onPut = (v) => inRange(threshold, v) && (threshold.set(v), true);

  const scalars = Array.from({ length: c.loadPvs }, (_, i) => pvs.add({ name: `${p}LOAD:S${i}`, type: "double" }));
  const arrays = Array.from(
    { length: c.loadArrays },
    (_, i) =>
      pvs.add({
        name: `${p}LOAD:A${i}`,
        type: "double",
        count: c.loadArrayLength,
        value: new Array(c.loadArrayLength).fill(0),
      }),
  );
  let loads = 0;
  let lastNs = 0n;
  let phaseNs = 0;

  return {
    pvs,
    pulse(nowNs) {
      const dt = lastNs === 0n ? 1 / c.pulseHz : Number(nowNs - lastNs) / 1e9;
      lastNs = nowNs;
      const t = temp.value as number;
      const target = setpoint.value as number;
      temp.set(t + (target - t) * (1 - Math.exp(-dt / 2)) + 0.01 * gauss(), undefined, nowNs);
      const to = val.value as number;
      const at = rbv.value as number;
      if (at !== to) {
        const step = (velo.value as number) * dt;
        rbv.set(Math.abs(to - at) <= step ? to : at + Math.sign(to - at) * step, undefined, nowNs);
        if (rbv.value === to) dmov.set(1, undefined, nowNs);
      }
      const hz = c.pulseHz * (1 + 1e-5 * gauss());
      speed.set(hz, undefined, nowNs);
      const times: number[] = [];
      const periodNs = 1e9 / hz;
      for (phaseNs += dt * 1e9; phaseNs >= periodNs && times.length < 64; phaseNs -= periodNs) {
        times.push(Math.round(periodNs - phaseNs));
      }
      tdc.set(Float64Array.from(times), undefined, nowNs);
      beam.set(beam.value, undefined, nowNs);
      count.set((count.value as number) + 1, undefined, nowNs);
    },
    load() {
      loads++;
      const at = nowNs();
      for (let i = 0; i < scalars.length; i++) scalars[i].set(loads + i, undefined, at);
      for (const a of arrays) a.set(new Float64Array(c.loadArrayLength).fill(loads), undefined, at);
    },
    state: () => ({
      type: "state",
      temperatureK: temp.value as number,
      beamCurrentMa: beam.value as number,
      shutterOpen: shutter.value === 1,
    }),
  };
}

/** Whether a write's first value lies within the PV's control limits. */
function inRange(pv: Pv, values: ArrayLike<number | string>): boolean {
  const x = Number(values[0]);
  return values.length === 1 && x >= pv.meta.limits.lowerCtrl && x <= pv.meta.limits.upperCtrl;
}
