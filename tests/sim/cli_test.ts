/**
 * `nxflow sim` from the command line: `--help` explains it, bad options are usage errors, and `caget SIM:TEMP`
 * (pyepics, libca) answers while it runs.
 */
import assert from "node:assert/strict";
import { runNxflow } from "../_harness/process.ts";
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
