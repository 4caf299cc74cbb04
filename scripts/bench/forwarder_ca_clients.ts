/**
 * The forwarder's Channel Access client: measures nxflow's TypeScript client (`actors/forwarder/ca/`) and, as the
 * anchor, `npm:epics-tca` against the same real IOC (`tests/_harness/ioc.ts`), one after the other in this process,
 * and prints one JSON line per figure:
 *
 * - connect: time until all N scalar PVs delivered their first monitor update;
 * - scalar: share of the IOC's updates received while it updates the N scalars as fast as it can, and updates/s;
 * - array: updates/s received of one 2,048-double waveform the IOC updates at 1 kHz;
 * - cpu: this process's CPU seconds per received update in the scalar and array phases.
 *
 * This script imports epics-tca only to measure it. Until the TypeScript client replaced it, the forwarder used Deno FFI
 * on Debian's libca (a C event queue, a child process per monitor group); the last run that measured all three side by
 * side (2026-12-05, shared 2-core VM at a load average of ~11, noisy) gave per scalar update: TypeScript 5.3 µs,
 * libca 22.0 µs, epics-tca 11.8 µs of CPU; per 2,048-double update: 48, 100 and 89 µs; every client received every
 * update the IOC sent (share 1).
 *
 * Usage: deno run -A scripts/bench/forwarder_ca_clients.ts [--pvs 200] [--seconds 3]
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { Channel_DBR_TYPES, ChannelMonitor_MASKS, Context, type_log_levels } from "epics-tca";
import { CaClient } from "../../actors/forwarder/ca/client.ts";
import { startIoc, type TestIoc } from "../../tests/_harness/ioc.ts";
import { report } from "./support/report.ts";

const { values } = parseArgs({
  options: { pvs: { type: "string", default: "200" }, seconds: { type: "string", default: "3" } },
});
const PVS = Number(values.pvs);
const SECONDS = Number(values.seconds);
const BENCH = "forwarder_ca_clients";

/** What each candidate must offer the measurement: monitor a PV, counting updates; close. */
interface Candidate {
  name: string;
  monitor(pv: string, onUpdate: () => void): Promise<void>;
  close(): Promise<void>;
}

function typescript(ioc: TestIoc): Candidate {
  const ca = new CaClient({ addrList: `127.0.0.1:${ioc.port}` });
  return {
    name: "nxflow-ts",
    monitor(pv, onUpdate) {
      ca.monitor(pv, { onConnection: () => {}, onUpdate, onError: () => {} });
      return Promise.resolve();
    },
    close: () => Promise.resolve(ca.close()),
  };
}

async function tca(ioc: TestIoc): Promise<Candidate> {
  const env = {
    EPICS_CA_ADDR_LIST: "127.0.0.1",
    EPICS_CA_AUTO_ADDR_LIST: "NO",
    EPICS_CA_SERVER_PORT: String(ioc.port),
  };
  const ctx = new Context(env, type_log_levels.error);
  await ctx.initialize();
  return {
    name: "epics-tca",
    async monitor(pv, onUpdate) {
      const ch = await ctx.createChannel(pv, "ca", 10);
      if (!ch) throw new Error(`epics-tca could not connect ${pv}`);
      const type = pv.endsWith("BIGARRAY") ? 2048 : 1;
      await ch.createMonitor(
        10,
        () => onUpdate(),
        Channel_DBR_TYPES.DBR_TIME_DOUBLE,
        type,
        ChannelMonitor_MASKS.DBE_VALUE | ChannelMonitor_MASKS.DBE_ALARM,
      ); // deno-fmt-ignore
    },
    close() {
      ctx.getRepeaterThread()?.terminate(); // its own quit path calls parentPort.close, which Deno lacks
      return Promise.resolve(ctx.destroyHard());
    },
  };
}

async function measure(c: Candidate, ioc: TestIoc): Promise<void> {
  const first = new Set<number>();
  let scalarUpdates = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PVS }, (_, i) =>
    c.monitor(`BENCH:BENCH${i}`, () => {
      first.add(i);
      scalarUpdates++;
    }))); // deno-fmt-ignore
  while (first.size < PVS) await new Promise((r) => setTimeout(r, 5));
  report({ bench: BENCH, figure: `${c.name} connect ${PVS} PVs`, value: performance.now() - t0, unit: "ms" });

  scalarUpdates = 0;
  let cpu = process.cpuUsage();
  let t = performance.now();
  const sent = Number((await ioc.command(`storm ${SECONDS}`)).split(" ")[1]);
  await new Promise((r) => setTimeout(r, 500));
  let used = process.cpuUsage(cpu);
  let cpuS = (used.user + used.system) / 1e6;
  report({
    bench: BENCH,
    figure: `${c.name} scalar updates received`,
    value: scalarUpdates / ((performance.now() - t) / 1000),
    unit: "updates/s",
    anchor: "IOC updates/s",
    anchorValue: sent / SECONDS,
  });
  report({
    bench: BENCH,
    figure: `${c.name} scalar share received`,
    value: scalarUpdates / sent,
    unit: "fraction",
    goal: "1 (CA may merge updates of a PV under load)",
  });
  report({ bench: BENCH, figure: `${c.name} CPU per scalar update`, value: cpuS / scalarUpdates * 1e6, unit: "µs" });

  let arrayUpdates = 0;
  await c.monitor("BENCH:BIGARRAY", () => arrayUpdates++);
  await new Promise((r) => setTimeout(r, 300));
  arrayUpdates = 0;
  cpu = process.cpuUsage();
  t = performance.now();
  const waves = Number((await ioc.command(`wave ${SECONDS} 1000`)).split(" ")[1]);
  await new Promise((r) => setTimeout(r, 300));
  used = process.cpuUsage(cpu);
  cpuS = (used.user + used.system) / 1e6;
  report({
    bench: BENCH,
    figure: `${c.name} 2048-double array updates received`,
    value: arrayUpdates / ((performance.now() - t) / 1000),
    unit: "updates/s",
    anchor: "IOC updates/s",
    anchorValue: waves / SECONDS,
  });
  report({
    bench: BENCH,
    figure: `${c.name} CPU per array update`,
    value: cpuS / Math.max(arrayUpdates, 1) * 1e6,
    unit: "µs",
  });
} // deno-fmt-ignore

const ioc = await startIoc({ prefix: "BENCH:", scalars: PVS });
try {
  for (const make of [typescript, tca]) {
    const candidate = await make(ioc);
    try {
      await measure(candidate, ioc);
    } finally {
      await candidate.close();
    }
  }
} finally {
  await ioc.stop();
}
Deno.exit(0);
