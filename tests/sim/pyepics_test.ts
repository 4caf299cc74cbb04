/**
 * `nxflow sim`'s CA server through Debian's pyepics (the C libca): every PV type (double, float, long, short, enum,
 * string, char waveform) read with its CTRL metadata (units, precision, limits, enum strings) and TIME stamp,
 * written and read back, monitored (each change arrives, in order, with its EPICS timestamp), a refused put, a
 * gap-free 14 Hz sequence, an alarm raised by the temperature, and a 1e5-element array read and monitored.
 */
import assert from "node:assert/strict";
import { pyepicsPython, runClient, startSim } from "./sim_harness.ts";

type Obs = Record<string, Record<string, unknown>> & {
  writes: Record<string, [number, unknown][]>;
  monitors: Record<string, [unknown, number][]>;
  counts: [number, number, number][];
};

Deno.test("pyepics (libca) reads, writes and monitors every PV type of nxflow sim", async () => {
  const python = await pyepicsPython();
  const sim = await startSim(["--load-arrays=1", "--load-array-len=100000", "--load-hz=2"]);
  try {
    const o = await runClient(python, "pyepics_client.py", sim, ["SIM:", "LOAD:A0"]) as Obs;
    const { "CHOPPER:TDC": tdcType, ...types } = o.types;
    const tdc = tdcType as [string, number];
    assert.deepEqual(types, {
      TEMP: ["ctrl_double", 1],
      "TEMP:SP": ["ctrl_double", 1],
      "MOTOR.VELO": ["ctrl_float", 1],
      "MOTOR.DMOV": ["ctrl_short", 1],
      "RUN:NUMBER": ["ctrl_long", 1],
      "DETECTOR:THRESHOLD": ["ctrl_short", 1],
      SHUTTER: ["ctrl_enum", 1],
      "SAMPLE:NAME": ["time_string", 1], // pyepics reads strings as TIME
      "STATUS:MSG": ["ctrl_char", 29],
      "PULSE:COUNT": ["ctrl_long", 1],
    });
    // CHOPPER:TDC holds the top-dead-centre times since its previous update: 0, 1 or 2 of them with a jittery timer
    assert.equal(tdc[0], "ctrl_long");
    assert.ok(tdc[1] >= 0 && tdc[1] <= 3, `CHOPPER:TDC held ${tdc[1]} times`);
    const temp = o.ctrl.TEMP as Record<string, number | string>;
    assert.deepEqual(
      [temp.units, temp.precision, temp.upper_alarm_limit, temp.upper_warning_limit, temp.lower_warning_limit],
      ["K", 3, 350, 320, 10],
    );
    assert.deepEqual([temp.upper_disp_limit, temp.upper_ctrl_limit, temp.lower_ctrl_limit], [400, 400, 0]);
    assert.deepEqual((o.ctrl.SHUTTER as { enum_strs: string[] }).enum_strs, ["Closed", "Open"]);
    const units = (name: string) => (o.ctrl[name] as { units: string }).units;
    assert.deepEqual([units("MOTOR.VELO"), units("DETECTOR:THRESHOLD")], ["mm/s", "ADC"]);
    for (const [name, t] of Object.entries(o.time as Record<string, { timestamp: number; now: number }>)) {
      assert.ok(Math.abs(t.now - t.timestamp) < 30, `${name}: EPICS timestamp ${t.timestamp} vs now ${t.now}`);
    }
    const written: Record<string, unknown[]> = {
      "TEMP:SP": [300.5, 296.25],
      "MOTOR.VELO": [2.5, 7.75],
      "RUN:NUMBER": [42, -7],
      "DETECTOR:THRESHOLD": [250, 12],
      SHUTTER: [0, 1],
      "SAMPLE:NAME": ["silicon", "Ni powder"],
      "STATUS:MSG": ["hello sim", "bye"],
    };
    for (const [name, values] of Object.entries(written)) {
      assert.deepEqual(o.writes[name], values.map((v) => [1, v]), `write ${name}`);
      const seen = o.monitors[name].map(([v]) => v);
      const at = seen.indexOf(values[0]);
      assert.ok(at >= 1, `${name}: monitor saw ${JSON.stringify(seen)}`);
      assert.deepEqual(seen.slice(at, at + 2), values, `${name}: monitor order`);
      const stamps = o.monitors[name].map(([, t]) => t);
      assert.ok(stamps.every((t, i) => i === 0 || t >= stamps[i - 1]), `${name}: timestamps in order`);
    }
    assert.equal(o.refused, 296.25, "a setpoint out of the control range is refused");
    // PULSE:COUNT: every pulse, in order, stamped when it happened (~71 ms apart)
    const counts = o.counts;
    assert.ok(counts.length >= 30, `${counts.length} updates in 3 s`);
    counts.forEach(([v, stamp, received], i) => {
      if (i > 0) assert.equal(v, counts[i - 1][0] + 1, `gap after ${counts[i - 1][0]}`);
      if (i > 0) assert.ok(stamp > counts[i - 1][1]);
      assert.ok(received - stamp > -0.05 && received - stamp < 1, `update ${v} stamped ${stamp}, got ${received}`);
    });
    const alarm = o.alarm as unknown as [number, number, number];
    assert.ok(alarm && alarm[0] >= 320 && alarm[2] === 4, `HIGH/MINOR alarm: ${JSON.stringify(alarm)}`);
    const array = o.array as { count: number; len: number; first: number; last: number; updates: number[] };
    assert.deepEqual([array.count, array.len, array.first === array.last], [100_000, 100_000, true]);
    assert.ok(array.updates.length >= 2 && array.updates.every((n) => n === 100_000), `${array.updates}`);
    const stats = await sim.stats<{ counters: Record<string, number>; lastDrop: string }>("sim/ca");
    assert.equal(stats.counters["tcp.clientsDropped"], 0, stats.lastDrop);
    assert.ok(stats.counters["writes"] >= 14 && stats.counters["writeFailures"] === 1);
  } finally {
    await sim.stop();
  }
});
