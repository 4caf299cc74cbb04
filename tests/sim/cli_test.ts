/**
 * `nxflow sim` from the command line: `--help` explains it, bad options are usage errors, and `caget SIM:TEMP`
 * (pyepics, libca) answers while it runs; `nxflow start` runs the same role from `roles.sim` of a configuration.
 */
import assert from "node:assert/strict";
import { dbrType } from "../../actors/common/ca/dbr.ts";
import { freePort } from "../_harness/ioc.ts";
import { reap, runNxflow, spawnNxflow } from "../_harness/process.ts";
import { RawCaClient } from "./raw_client.ts";
import { pyepicsPython, startSim } from "./sim_harness.ts";

Deno.test("nxflow sim --help explains the PVs, the detector and every option", async () => {
  const { code, stdout } = await runNxflow(["sim", "--help"]);
  assert.equal(code, 0);
  for (const word of ["TEMP:SP", "MOTOR.RBV", "CHOPPER:TDC", "BEAM:CURRENT", "--load-pvs", "--load-hz", "--ca-port"]) {
    assert.ok(stdout.includes(word), `help mentions ${word}`);
  }
  for (const word of ["--load-arrays", "--load-array-len", "--detector-port", "--event-rate", "caget SIM:TEMP"]) {
    assert.ok(stdout.includes(word), `help mentions ${word}`);
  }
  const bad = await runNxflow(["sim", "--ca-port=70000", "--no-admin"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /caPort/);
});

Deno.test("caget SIM:TEMP answers while nxflow sim runs", async () => {
  const python = await pyepicsPython();
  const sim = await startSim();
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", "import epics; print(epics.caget('SIM:TEMP', timeout=10))"],
      env: sim.env,
      stdout: "piped",
      stderr: "null",
    }).output();
    const kelvin = Number(new TextDecoder().decode(out.stdout).trim());
    assert.ok(kelvin > 290 && kelvin < 300, `SIM:TEMP = ${kelvin}`);
  } finally {
    await sim.stop();
  }
});

Deno.test("nxflow start runs roles.sim from a configuration file", async () => {
  const port = freePort();
  const file = await Deno.makeTempFile({ suffix: ".json" });
  const sim = { enabled: true, caHost: "127.0.0.1", caPort: port, detectorPort: -1, monitorPort: -1, prefix: "LAB:" };
  await Deno.writeTextFile(file, JSON.stringify({ roles: { sim } }));
  const p = spawnNxflow(["start", "--config", file, "--admin-port", "0"]);
  try {
    await p.line(/root\/sim\/ca: started/, 60_000);
    const client = await RawCaClient.connect(port);
    const temp = await client.create("LAB:TEMP");
    const read = await client.read(temp.sid, dbrType("double", "ctrl"));
    assert.deepEqual([read.units, read.precision], ["K", 3]);
    client.close();
  } finally {
    await reap(p);
    await Deno.remove(file);
  }
});
