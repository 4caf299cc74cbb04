/**
 * `nxflow readout-gen`: sends ESS readout packets over UDP to an EFU (see `actors/efu/generator.ts`) and prints what
 * it sent as one JSON line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { checkDetectorConfig, type DetectorConfig, familyOf, loadDetectorConfig } from "../efu/detector_config.ts";
import { FAMILIES } from "../efu/families/registry.ts";
import { type ExpectedEvent, generate } from "../efu/generator.ts";
import { type Fault, FAULTS, readoutsPerPacket } from "../efu/readout_packets.ts";
import { type Command, UsageError } from "./command.ts";

const HELP = `Usage: nxflow readout-gen (--detector FILE | --family ${Object.keys(FAMILIES).join("|")}) [options]

Sends ESS readout packets (header v0/v1 + readouts of the detector's family) over UDP and prints a JSON summary:
packets, bytes, readouts, expectedEvents (what the EFU should form), pulses, faults and the counter each increments.

Options:
  --detector FILE        detector config (as for nxflow efu); or --family NAME for that family's defaults
  --host HOST            destination (default 127.0.0.1)
  --port N               destination UDP port (default 9000)
  --packets N            packets to send (default 1000)
  --rate N               packets per second (default 0: as fast as possible)
  --events-rate N        events per second instead of --rate (full packets)
  --seed N               random seed (default 1)
  --header-version 0|1   ESS header version (default 1)
  --pulse-hz N           pulse frequency (default 14)
  --packet-bytes N       largest packet, at most 8972 (default 8972)
  --packets-per-pulse N  packets before the pulse time advances (default: rate / pulse-hz)
  --start-ns N           time of the first pulse, ns since the epoch (default: now)
  --replay FILE          events to send in a loop, one "pixel tof_ns" pair per line (e.g. an AMOR-like pattern)
  --fault KIND[:EVERY]   spoil every EVERY-th packet (default 100); kinds: ${FAULTS.join(", ")}; repeatable
  --expect FILE          write each expected event as a line "pulse_ns pixel tof_ns"

Example:
  nxflow readout-gen --detector bifrost.json --port 9000 --events-rate 1e6 --packets 20000`;

function int(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got "${value}"`);
  return n;
}

async function readReplay(path: string): Promise<{ pixel: Int32Array; tof: Int32Array }> {
  const lines = (await Deno.readTextFile(path)).split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const pixel = new Int32Array(lines.length);
  const tof = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const [p, t] = line.split(/[\s,]+/).map(Number);
    if (!Number.isInteger(p) || !Number.isInteger(t)) throw new UsageError(`${path}:${i + 1}: expected "pixel tof_ns"`);
    pixel[i] = p;
    tof[i] = t;
  });
  if (lines.length === 0) throw new UsageError(`${path}: no events`);
  return { pixel, tof };
}

function parseFaults(specs: string[]): { fault: Fault; every: number }[] {
  return specs.map((spec) => {
    const [kind, every] = spec.split(":");
    if (!FAULTS.includes(kind as Fault)) throw new UsageError(`--fault ${kind}: must be one of ${FAULTS.join(", ")}`);
    return { fault: kind as Fault, every: int("fault", every, 100, 1) };
  });
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      detector: { type: "string" },
      family: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string" },
      packets: { type: "string" },
      rate: { type: "string" },
      "events-rate": { type: "string" },
      seed: { type: "string" },
      "header-version": { type: "string" },
      "pulse-hz": { type: "string" },
      "packet-bytes": { type: "string" },
      "packets-per-pulse": { type: "string" },
      "start-ns": { type: "string" },
      replay: { type: "string" },
      fault: { type: "string", multiple: true, default: [] },
      expect: { type: "string" },
    },
  });
  let detector: DetectorConfig;
  if (values.detector) detector = await loadDetectorConfig(values.detector);
  else if (values.family) {
    detector = checkDetectorConfig({ instrument: values.family, family: values.family }, "--family");
  } else throw new UsageError("--detector or --family is required");
  const version = int("header-version", values["header-version"], 1);
  if (version !== 0 && version !== 1) throw new UsageError("--header-version must be 0 or 1");
  const packetBytes = int("packet-bytes", values["packet-bytes"], 8972, 64);
  if (packetBytes > 8972) throw new UsageError("--packet-bytes must be at most 8972");
  let rate = int("rate", values.rate, 0);
  if (values["events-rate"]) {
    const perPacket = readoutsPerPacket(familyOf(detector), version, packetBytes);
    if (perPacket < 1) throw new UsageError(`--packet-bytes ${packetBytes} leaves no room for a readout`);
    rate = int("events-rate", values["events-rate"], 0) / perPacket;
  }
  const lines: string[] = [];
  const onEvent: ExpectedEvent | undefined = values.expect
    ? (pulseNs, pixel, tof) => void lines.push(`${pulseNs} ${pixel} ${tof}`)
    : undefined;
  const summary = await generate({
    detector,
    host: values.host!,
    port: int("port", values.port, 9000, 1),
    packets: int("packets", values.packets, 1000, 1),
    rate,
    seed: int("seed", values.seed, 1),
    version,
    pulseHz: int("pulse-hz", values["pulse-hz"], 14, 0.001),
    packetBytes,
    packetsPerPulse: int("packets-per-pulse", values["packets-per-pulse"], 0),
    startNs: values["start-ns"] ? BigInt(values["start-ns"]) : 0n,
    replay: values.replay ? await readReplay(values.replay) : undefined,
    faults: parseFaults(values.fault as string[]),
  }, onEvent);
  if (values.expect) await Deno.writeTextFile(values.expect, lines.join("\n") + "\n");
  console.log(JSON.stringify(summary));
  return 0;
}

/** The `readout-gen` command. */
export const readoutGen: Command = {
  name: "readout-gen",
  summary: "send ESS detector readout packets over UDP (for nxflow efu)",
  help: HELP,
  run,
};
