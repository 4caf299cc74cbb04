/**
 * Runs `nxflow sim` as a subprocess on free ports of 127.0.0.1 (CA server, beacon/repeater, admin endpoint), and
 * gives the client environment that finds it and nothing else, the admin endpoint's stats, and Python clients:
 * Debian's pyepics (libca; installed with apt-get when missing) and caproto (pinned, in the shared venv).
 */
import { aptInstall } from "../_harness/apt.ts";
import { freePort } from "../_harness/ioc.ts";
import { type NxflowProcess, reap, spawnNxflow } from "../_harness/process.ts";
import { ensureVenv } from "../../scripts/python_venv.ts";

/** The pinned caproto client. */
export const CAPROTO = ["caproto==1.3.0"];
const SYSTEM_PYTHON = "/usr/bin/python3";

/** A running sim. */
export interface TestSim {
  process: NxflowProcess;
  port: number;
  adminUrl: string;
  /** EPICS client settings that find this sim only. */
  env: Record<string, string>;
  /** GET /stats?actor=<actor> of the admin endpoint. */
  stats<T>(actor: string): Promise<T>;
  /** POST /chaos. */
  chaos(actor: string, fault: "crash" | "hang" | "exit"): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts `nxflow sim` with `args` after the port options; the detector is off unless the args turn it on. */
export async function startSim(args: string[] = [], detector = false): Promise<TestSim> {
  const port = freePort();
  const beacon = freePort();
  const off = detector ? [] : ["--detector-port=-1", "--monitor-port=-1"];
  const process = spawnNxflow([
    "sim",
    "--ca-host=127.0.0.1",
    `--ca-port=${port}`,
    "--beacon-hosts=127.0.0.1",
    `--beacon-port=${beacon}`,
    "--admin-port=0",
    ...off,
    ...args,
  ]);
  let adminUrl: string;
  try {
    const line = await process.line(/admin endpoint on /, 60_000);
    adminUrl = line.match(/admin endpoint on (\S+)/)![1];
    await process.line(/root\/sim\/ca: started/, 30_000);
  } catch (error) {
    await reap(process);
    throw new Error(`${(error as Error).message}\n${process.lines.join("\n")}`);
  }
  const env = {
    EPICS_CA_ADDR_LIST: "127.0.0.1",
    EPICS_CA_AUTO_ADDR_LIST: "NO",
    EPICS_CA_SERVER_PORT: String(port),
    EPICS_CA_REPEATER_PORT: String(beacon),
    PYTHONUNBUFFERED: "1",
  };
  return {
    process,
    port,
    adminUrl,
    env,
    async stats<T>(actor: string) {
      const res = await fetch(`${adminUrl}/stats?actor=${encodeURIComponent(actor)}`);
      const body = await res.json();
      if (!res.ok) throw new Error(`GET /stats?actor=${actor}: ${JSON.stringify(body)}`);
      return body.stats as T;
    },
    async chaos(actor, fault) {
      const res = await fetch(`${adminUrl}/chaos`, { method: "POST", body: JSON.stringify({ actor, fault }) });
      return await res.json();
    },
    async stop() {
      try {
        process.child.kill("SIGTERM");
      } catch { /* ended */ }
      const timer = setTimeout(() => reap(process), 10_000);
      await process.child.status;
      clearTimeout(timer);
    },
  };
}

/** Debian's python3 with pyepics (libca), installed with apt-get when missing. */
export async function pyepicsPython(): Promise<string> {
  const probe = await new Deno.Command(SYSTEM_PYTHON, { args: ["-c", "import epics"], stderr: "null" }).output()
    .catch(() => ({ success: false }));
  if (!probe.success) await aptInstall("python3-pyepics");
  return SYSTEM_PYTHON;
}

/** The venv's python with caproto. */
export function caprotoPython(): Promise<string> {
  return ensureVenv(CAPROTO);
}

/**
 * Runs a Python client script of this folder with the sim's environment and returns its JSON output (last stdout
 * line); throws with stderr when it fails.
 */
export async function runClient(
  python: string,
  script: string,
  sim: TestSim,
  args: string[] = [],
): Promise<Record<string, unknown>> {
  const path = new URL(script, import.meta.url).pathname;
  const out = await new Deno.Command(python, { args: [path, ...args], env: sim.env, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  const stdout = text.decode(out.stdout).trim();
  if (!out.success) throw new Error(`${script} failed (${out.code}):\n${stdout}\n${text.decode(out.stderr)}`);
  // Python writes NaN (unset alarm limits) as a bare token
  return JSON.parse(stdout.split("\n").pop()!.replace(/\bNaN\b/g, "null"));
}
