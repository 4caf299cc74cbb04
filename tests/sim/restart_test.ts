/**
 * Fault injection on the sim's actors: the CA server actor crashed through `POST /chaos` comes back on the same port
 * and a libca client (pyepics) that was monitoring sees the disconnect, reconnects by itself and gets updates again;
 * the detector actor crashed comes back and sends pulses again.
 */
import assert from "node:assert/strict";
import { eventually } from "../_harness/wait.ts";
import { pyepicsPython, runClient, startSim } from "./sim_harness.ts";
import type { DetectorStats } from "../../protocols/sim.ts";

type Events = Record<string, [string, unknown, number | null, number][]>;

Deno.test("crashed sim actors restart and libca clients reconnect", async () => {
  const python = await pyepicsPython();
  const sim = await startSim(["--enable-fault-injection", "--detector-port=9", "--monitor-port=-1"], true);
  try {
    // (the monitor runs 16 s: the reconnect and 20 updates after it must fit in the 12 s after the crash)
    const watching = runClient(python, "pyepics_monitor.py", sim, ["16", "SIM:PULSE:COUNT", "SIM:TEMP"]);
    await new Promise((r) => setTimeout(r, 4000));
    const reply = await sim.chaos("sim/ca", "crash") as { ok: boolean };
    assert.ok(reply.ok, JSON.stringify(reply));
    await sim.process.line(/root\/sim\/ca.*restart/i, 20_000);
    const before = await sim.stats<DetectorStats>("sim/detector");
    assert.ok((await sim.chaos("sim/detector", "crash") as { ok: boolean }).ok);
    const after = await eventually(
      "the detector sending again",
      () => sim.stats<DetectorStats>("sim/detector").catch(() => null),
      (s) => s !== null && s.pulses >= 5,
      20_000,
    );
    assert.ok(after!.pulses < before.pulses + 5, "a fresh detector counts from 0");
    const events = await watching as unknown as Events;
    for (const [name, list] of Object.entries(events)) {
      const kinds = list.map(([k]) => k);
      const lost = kinds.indexOf("disconnected");
      assert.ok(kinds[0] === "connected" && lost > 1, `${name}: ${kinds.join(",")}`);
      const back = kinds.indexOf("connected", lost);
      assert.ok(back > lost, `${name} reconnected: ${kinds.join(",")}`);
      const valuesAfter = list.slice(back).filter(([k]) => k === "value");
      assert.ok(valuesAfter.length >= (name === "SIM:PULSE:COUNT" ? 20 : 1), `${name}: updates after the restart`);
    }
    // a fresh server counts pulses from 0: its first value after the reconnect is below what the old one would say
    const list = events["SIM:PULSE:COUNT"];
    const lost = list.findIndex(([k]) => k === "disconnected");
    const last = list.slice(0, lost).filter(([k]) => k === "value").pop()!;
    const next = list.slice(lost).find(([k]) => k === "value")!;
    const continued = (last[1] as number) + 14 * (next[3] - last[3]);
    assert.ok((next[1] as number) < continued - 20, `after ${last[1]}: ${next[1]}, not ~${continued}`);
  } finally {
    await sim.stop();
  }
});
