/**
 * The forwarder's TypeScript CA client (`actors/forwarder/ca/`) against nxflow's own CA server (`nxflow sim`, the
 * simulated instrument): every native type with its control information, the 64-element TDC array, a load array of
 * 1e5 doubles, EVENTS_OFF/ON, and a crash of the sim's CA server actor: the client sees the disconnect, reconnects by itself and
 * gets updates from the fresh server.
 */
import assert from "node:assert/strict";
import type { CaUpdate } from "../../protocols/forwarder.ts";
import { CaClient } from "../../actors/forwarder/ca/client.ts";
import { eventually } from "../_harness/wait.ts";
import { startSim } from "../sim/sim_harness.ts";

Deno.test("CA client: every type of nxflow sim, a 1e5-double array, events off/on, a reconnect after the CA server crashed", async () => {
  const sim = await startSim([
    "--enable-fault-injection",
    "--load-pvs=0",
    "--load-arrays=1",
    "--load-array-len=100000",
    "--load-hz=2",
  ]);
  const ca = new CaClient({ addrList: `127.0.0.1:${sim.port}` });
  const updates = new Map<string, CaUpdate[]>();
  const connections = new Map<string, boolean[]>();
  const errors: string[] = [];
  const names = [
    "TEMP",
    "MOTOR.VELO",
    "MOTOR.DMOV",
    "SHUTTER",
    "SAMPLE:NAME",
    "STATUS:MSG",
    "PULSE:COUNT",
    "CHOPPER:TDC",
    "LOAD:A0",
  ].map((n) => `SIM:${n}`);
  const monitors = names.map((pv) =>
    ca.monitor(pv, {
      onConnection: (up) => connections.set(pv, [...(connections.get(pv) ?? []), up]),
      onUpdate: (u) => updates.set(pv, [...(updates.get(pv) ?? []), u]),
      onError: (message) => errors.push(message),
    })
  );
  const last = (pv: string) => updates.get(`SIM:${pv}`)?.at(-1);
  const info = (pv: string) => monitors.find((m) => m.pv === `SIM:${pv}`)!.info;
  try {
    await eventually("first updates", () => updates.size, (n) => n === names.length, 20_000);
    const types = names.map((pv) => `${updates.get(pv)![0].type}${updates.get(pv)![0].array ? "[]" : ""}`);
    assert.deepEqual(types, ["double", "float", "short", "enum", "string", "char[]", "long", "long[]", "double[]"]);
    assert.equal(last("SAMPLE:NAME")!.value, "vanadium");
    assert.equal(last("SHUTTER")!.value, 1);
    const text = new TextDecoder().decode(last("STATUS:MSG")!.value as Uint8Array);
    assert.ok(text.startsWith("running: 14 Hz"), text);
    const t = Number(last("TEMP")!.timestampNs / 1_000_000n);
    assert.ok(Math.abs(t - Date.now()) < 60_000, "EPICS time of the sim's temperature");
    await eventually("control info", () => info("LOAD:A0"), (i) => i !== null, 10_000);
    assert.deepEqual([info("TEMP")!.units, info("TEMP")!.precision, info("TEMP")!.limits.upperAlarm], ["K", 3, 350]);
    assert.deepEqual(info("SHUTTER")!.enumStrings, ["Closed", "Open"]);
    assert.equal(info("CHOPPER:TDC")!.count, 64);
    assert.equal(info("LOAD:A0")!.count, 100_000);
    const big = await eventually("two 1e5-double updates", () => updates.get("SIM:LOAD:A0")!, (u) => u.length >= 2);
    const value = big.at(-1)!.value as Float64Array;
    assert.ok(value instanceof Float64Array && value.length === 100_000);
    const pulses = await eventually("pulses", () => updates.get("SIM:PULSE:COUNT")!.length, (n) => n >= 14, 10_000);
    assert.ok(pulses >= 14);

    // paused (EVENTS_OFF), the server holds the pulse counter's updates back; resumed, they flow again
    const count = () => updates.get("SIM:PULSE:COUNT")!.length;
    ca.setPaused(true);
    await new Promise((r) => setTimeout(r, 500));
    const held = count();
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(count() <= held + 1, `${count() - held} updates while paused`);
    ca.setPaused(false);
    await eventually("updates after EVENTS_ON", count, (n) => n >= held + 7, 10_000);

    const reply = await sim.chaos("sim/ca", "crash") as { ok: boolean };
    assert.ok(reply.ok, JSON.stringify(reply));
    const seen = () => connections.get("SIM:PULSE:COUNT")!;
    await eventually("disconnected, then connected", seen, (c) => c.length >= 3 && c.at(-1) === true, 30_000);
    assert.deepEqual(seen().slice(0, 2), [true, false]);
    const after = updates.get("SIM:PULSE:COUNT")!.length;
    await eventually("updates after the crash", () => updates.get("SIM:PULSE:COUNT")!.length, (n) => n >= after + 14);
    assert.deepEqual(errors, []);
    assert.deepEqual(ca.stats(), { protocolErrors: 0, badDatagrams: 0 });
  } finally {
    ca.close();
    await sim.stop();
  }
});
