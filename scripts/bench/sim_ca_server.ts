/**
 * The sim's CA server as a source of monitor updates, against pythonSoftIOC (RSRV, the C CA server of EPICS base;
 * `tests/_harness/ioc.ts`) measured in the same run. One counting client in this process (raw CA on the shared
 * codec: it only walks message headers) subscribes DBR_TIME_DOUBLE to every PV of the server, and for `--seconds`
 * counts the updates it receives while the server updates its PVs as fast as it can:
 *
 * - scalars: 1,000 scalar doubles (`nxflow sim --load-pvs 1000 --load-hz H`, H = 500 offers 5e5 updates/s;
 *   pythonSoftIOC's `storm`, every BENCH record set in a loop);
 * - arrays: one 2,048-double array (`--load-arrays 1 --load-array-len 2048 --load-hz 20000`; pythonSoftIOC's `wave`
 *   at 20 kHz).
 *
 * Figures: updates/s received, and the server process's CPU ms per 1,000 updates (from /proc). The client shares
 * the 2 cores, so both servers' ceilings are as seen by the same client on the same busy machine: noisy.
 *
 * Usage: deno run -A scripts/bench/sim_ca_server.ts [--seconds 5]
 */
import { parseArgs } from "node:util";
import { CA_MINOR, CaStreamSplitter, CMD, encodeMessage, stringPayload } from "../../actors/common/ca/messages.ts";
import { startIoc } from "../../tests/_harness/ioc.ts";
import { startSim } from "../../tests/sim/sim_harness.ts";
import { report } from "./support/report.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" } } });
const SECONDS = Number(values.seconds);
const BENCH = "sim_ca_server";
const TIME_DOUBLE = 20;

/** CPU seconds of a process so far. */
async function cpuOf(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The pid of this process's child whose command line holds `marker`. */
async function childPid(marker: string): Promise<number> {
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    if (cmdline.includes(marker)) return Number(e.name);
  }
  throw new Error(`no process ${marker}`);
}

/** Subscribes to every name on 127.0.0.1:port and counts the updates; `count()` reads and resets the tally. */
async function countingClient(port: number, names: string[]) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let updates = 0;
  let created = 0;
  const splitter = new CaStreamSplitter(1 << 24);
  const pending: Uint8Array[] = [];
  const subscribe = new Uint8Array(16);
  new DataView(subscribe.buffer).setUint16(12, 1);
  void (async () => {
    const buffer = new Uint8Array(1 << 20);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return;
      splitter.push(buffer.subarray(0, n), (m) => {
        if (m.command === CMD.EVENT_ADD) updates++;
        else if (m.command === CMD.CREATE_CHAN) {
          created++;
          pending.push(encodeMessage(CMD.EVENT_ADD, TIME_DOUBLE, 0, m.p2, m.p1, subscribe));
        }
      });
      if (pending.length) {
        const all = pending.splice(0);
        for (const bytes of all) await conn.write(bytes);
      }
    }
  })();
  await conn.write(encodeMessage(CMD.VERSION, 0, CA_MINOR, 0, 0));
  for (let i = 0; i < names.length; i++) {
    await conn.write(encodeMessage(CMD.CREATE_CHAN, 0, 0, i + 1, CA_MINOR, stringPayload(names[i])));
  }
  const deadline = Date.now() + 30_000;
  while (created < names.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (created < names.length) throw new Error(`only ${created} of ${names.length} channels`);
  await new Promise((r) => setTimeout(r, 500));
  return {
    count() {
      const n = updates;
      updates = 0;
      return n;
    },
    close: () => conn.close(),
  };
}

/** Counts updates and server CPU for `SECONDS` while `load` runs. */
async function measure(pid: number, client: { count(): number }, load?: () => Promise<unknown>) {
  client.count();
  const cpu0 = await cpuOf(pid);
  const t0 = performance.now();
  await Promise.all([load?.(), new Promise((r) => setTimeout(r, SECONDS * 1000))]);
  const n = client.count();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await cpuOf(pid)) - cpu0;
  return { rate: n / seconds, cpuMsPer1000: n ? (cpu * 1e6) / n : 0 };
}

const scalarNames = (prefix: string) => Array.from({ length: 1000 }, (_, i) => `${prefix}${i}`);

// anchor: pythonSoftIOC (RSRV)
const ioc = await startIoc({ scalars: 1000 });
let anchor: { scalars: { rate: number; cpuMsPer1000: number }; arrays: { rate: number; cpuMsPer1000: number } };
try {
  const pid = await childPid("simple_ioc.py");
  const scalars = await countingClient(ioc.port, scalarNames(`${ioc.prefix}BENCH`));
  const s = await measure(pid, scalars, () => ioc.command(`storm ${SECONDS}`));
  scalars.close();
  const arrays = await countingClient(ioc.port, [`${ioc.prefix}BIGARRAY`]);
  const a = await measure(pid, arrays, () => ioc.command(`wave ${SECONDS} 20000`));
  arrays.close();
  anchor = { scalars: s, arrays: a };
} finally {
  await ioc.stop();
}

for (
  const [kind, args, names] of [
    ["scalars", ["--load-pvs=1000", "--load-hz=500"], scalarNames("SIM:LOAD:S")],
    ["arrays", ["--load-arrays=1", "--load-array-len=2048", "--load-hz=20000"], ["SIM:LOAD:A0"]],
  ] as const
) {
  const sim = await startSim([...args]);
  try {
    const client = await countingClient(sim.port, [...names]);
    type Counters = { counters: Record<string, number> };
    const before = (await sim.stats<Counters>("sim/ca")).counters;
    const m = await measure(sim.process.child.pid, client);
    const after = (await sim.stats<Counters>("sim/ca")).counters;
    client.close();
    const posted = (after["monitor.updates"] - before["monitor.updates"]) / SECONDS;
    const squashed = (after["monitor.squashed"] - before["monitor.squashed"]) / SECONDS;
    const a = anchor[kind];
    const what = kind === "scalars" ? "1000 scalar doubles" : "one 2048-double array";
    report({
      bench: BENCH,
      figure: `monitor updates/s received, ${what}`,
      value: m.rate,
      unit: "updates/s",
      anchor: "pythonSoftIOC (RSRV) ceiling, same client, same run",
      anchorValue: a.rate,
      ...(kind === "scalars" ? { goal: "≥ 1e5 updates/s (a source fast enough for the forwarder goal)" } : {}),
      ...(kind === "scalars" ? { met: m.rate >= 1e5 } : {}),
    });
    report({
      bench: BENCH,
      figure: `monitor updates/s posted by the sim (squashed for a slow client: ${Math.round(squashed)}/s), ${what}`,
      value: posted,
      unit: "updates/s",
    });
    report({
      bench: BENCH,
      figure: `server CPU ms per 1000 updates, ${what}`,
      value: m.cpuMsPer1000,
      unit: "ms",
      anchor: "pythonSoftIOC process (RSRV + the Python loop that sets the records)",
      anchorValue: a.cpuMsPer1000,
    });
  } finally {
    await sim.stop();
  }
}
