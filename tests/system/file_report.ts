/**
 * What the system tests share: the scippnexus packages of the test venv, the report `check_file.py` gives of a
 * finished file (h5py and scippnexus), a Python call that prints one JSON line, and an actor's stats from the admin
 * endpoint.
 *
 * @module
 */
import { ensureVenv, SCHEMA_TOOLS } from "../../scripts/python_venv.ts";
import type { TestSystem } from "../_harness/system.ts";

/** scippnexus and what it needs, pinned (numpy stays at the schema tools' pin). */
const SCIPPNEXUS = ["scippnexus==26.1.1", "scipp==25.11.0", "h5py==3.16.0", "scipy==1.17.1"];

/** f144 logs of the shipped structure, by their PV. */
export const LOGS: Record<string, string> = {
  "SIM:TEMP": "entry/sample/temperature",
  "SIM:TEMP:SP": "entry/sample/temperature_setpoint",
  "SIM:MOTOR.RBV": "entry/instrument/sample_stage/value",
  "SIM:MOTOR.VAL": "entry/instrument/sample_stage/target_value",
  "SIM:CHOPPER:SPEED": "entry/instrument/chopper/rotation_speed",
  "SIM:BEAM:CURRENT": "entry/instrument/source/beam_current",
};
/** NXevent_data groups of the shipped structure. */
export const EVENTS = { detector: "entry/instrument/detector/events", monitor: "entry/instrument/beam_monitor/events" };

/** What `check_file.py` reports of a file. */
export interface FileReport {
  classes: Record<string, string>;
  units: Record<string, string>;
  /** per NXevent_data group: [pulse ns (decimal text), events, mean time of flight ns] per pulse. */
  events: Record<string, [string, number, number][]>;
  logs: Record<string, { time: number[]; value: number[] }>;
  tdc: number[];
  scippnexus: { loaded: Record<string, number | [number, string]>; warnings: string[] };
}

/** The venv's Python with h5py and scippnexus (installed on first use). */
export function readerPython(): Promise<string> {
  return ensureVenv([...SCHEMA_TOOLS, ...SCIPPNEXUS]);
}

/** Runs a Python program and parses the last line it prints as JSON. */
export async function python(exe: string, args: string[], env: Record<string, string> = {}): Promise<unknown> {
  const out = await new Deno.Command(exe, { args, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  if (!out.success) throw new Error(`${args[0]} failed: ${text.decode(out.stderr)}`);
  return JSON.parse(text.decode(out.stdout).trim().split("\n").pop()!);
}

/** Reads a finished file of the simulated instrument with h5py and scippnexus. */
export function fileReport(venv: string, file: string): Promise<FileReport> {
  return python(venv, [new URL("check_file.py", import.meta.url).pathname, file]) as Promise<FileReport>;
}

/** An actor's stats from the admin endpoint. */
export async function stats<T>(s: TestSystem, actor: string): Promise<T> {
  const r = await fetch(`${s.admin}/stats?actor=${actor}`);
  const body = await r.json();
  if (!r.ok) throw new Error(`GET /stats?actor=${actor}: ${JSON.stringify(body)}`);
  return body.stats as T;
}
