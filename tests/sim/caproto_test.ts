/**
 * `nxflow sim`'s CA server through caproto's pure-Python client (pinned in the shared venv): native types and
 * counts, every DBR class of every PV (native, STS, TIME, GR, CTRL), CTRL metadata, server-side conversion to
 * DBR_STRING, write-notify status (ECA_NORMAL, and ECA_PUTFAIL for a refused put), monitors of each written PV in
 * order with EPICS timestamps, a gap-free 14 Hz sequence, and a 1e5-element array monitored.
 */
import assert from "node:assert/strict";
import { caprotoPython, runClient, startSim } from "./sim_harness.ts";

type Obs = {
  native: Record<string, [string, number]>;
  ctrl: Record<string, Record<string, unknown>>;
  time: Record<string, [number, number, number, number, number]>;
  writes: Record<string, [string, unknown][]>;
  monitors: Record<string, [unknown, number][]>;
  counts: [number, number, number][];
  as_string: string[];
  refused: string;
  array_updates: number[];
};

Deno.test("caproto reads, writes and monitors every PV type of nxflow sim", async () => {
  const python = await caprotoPython();
  const sim = await startSim(["--load-arrays=1", "--load-array-len=100000", "--load-hz=2"]);
  try {
    const o = await runClient(python, "caproto_client.py", sim, ["SIM:", "LOAD:A0"]) as unknown as Obs;
    assert.deepEqual(o.native, {
      TEMP: ["DOUBLE", 1],
      "TEMP:SP": ["DOUBLE", 1],
      "MOTOR.VELO": ["FLOAT", 1],
      "MOTOR.DMOV": ["INT", 1],
      "RUN:NUMBER": ["LONG", 1],
      "DETECTOR:THRESHOLD": ["INT", 1],
      SHUTTER: ["ENUM", 1],
      "SAMPLE:NAME": ["STRING", 1],
      "STATUS:MSG": ["CHAR", 256],
      "PULSE:COUNT": ["LONG", 1],
      "CHOPPER:TDC": ["LONG", 64],
      "LOAD:A0": ["DOUBLE", 100_000],
    });
    assert.deepEqual(o.ctrl.TEMP, {
      units: "K",
      precision: 3,
      upper_disp_limit: 400,
      upper_alarm_limit: 350,
      upper_ctrl_limit: 400,
      lower_ctrl_limit: 0,
    });
    assert.deepEqual(o.ctrl.SHUTTER.enum_strings, ["Closed", "Open"]);
    assert.equal(o.ctrl["DETECTOR:THRESHOLD"].upper_ctrl_limit, 4095);
    for (const [name, [stamp, now, status, severity, n]] of Object.entries(o.time)) {
      assert.ok(
        Math.abs(now - stamp) < 30 && status >= 0 && severity >= 0 && n >= (name === "CHOPPER:TDC" ? 0 : 1),
        `${name} TIME`,
      );
    }
    assert.equal(o.time["LOAD:A0"][4], 100_000);
    assert.deepEqual(o.as_string, ["295.000", "Open"], "a double as DBR_STRING with PREC 3; an enum as its state");
    const written: Record<string, unknown[]> = {
      "TEMP:SP": [[301.5], [297.125]],
      "MOTOR.VELO": [[3.5], [6.25]],
      "RUN:NUMBER": [[77], [78]],
      "DETECTOR:THRESHOLD": [[333], [44]],
      SHUTTER: [[0], [1]],
      "SAMPLE:NAME": [["Cu"], ["empty can"]],
      "STATUS:MSG": [[...new TextEncoder().encode("caproto"), 0], [..."ok"].map((c) => c.charCodeAt(0)).concat(0)],
    };
    for (const [name, values] of Object.entries(written)) {
      assert.deepEqual(o.writes[name], values.map((v) => ["ECA_NORMAL", v]), `write ${name}`);
      const seen = o.monitors[name].map(([v]) => JSON.stringify(v));
      assert.deepEqual(seen.slice(1), values.map((v) => JSON.stringify(v)), `${name}: every change, in order`);
      const stamps = o.monitors[name].map(([, t]) => t);
      assert.ok(stamps.every((t, i) => i === 0 || t > stamps[i - 1]), `${name}: timestamps rise`);
    }
    assert.equal(o.refused, "ECA_PUTFAIL");
    assert.ok(o.counts.length >= 30, `${o.counts.length} updates in 3 s`);
    o.counts.forEach(([v, stamp, received], i) => {
      if (i > 0) assert.equal(v, o.counts[i - 1][0] + 1, `gap after ${o.counts[i - 1][0]}`);
      assert.ok(received - stamp > -0.05 && received - stamp < 1, `update ${v} stamped ${stamp}, got ${received}`);
    });
    assert.ok(o.array_updates.length >= 2 && o.array_updates.every((n) => n === 100_000), `${o.array_updates}`);
    const stats = await sim.stats<{ counters: Record<string, number>; lastDrop: string }>("sim/ca");
    assert.equal(stats.counters["tcp.clientsDropped"], 0, stats.lastDrop);
  } finally {
    await sim.stop();
  }
});
