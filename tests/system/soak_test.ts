/**
 * The whole-system chaos soak: `nxflow chaos --soak` (a crash or silent exit every 2 s into a random actor of the
 * running default system) while a run is taken. The process never exits, every actor
 * runs again afterwards, every fault shows as a restart in the log, and the run's file is finished. The file is then
 * judged against an independent read of the Kafka topics (`soak_ledger.ts`): every pulse holds exactly the events of
 * the distinct ev44 messages Kafka has for it (a producer's re-send is written once), no pulse of the window is
 * missing, and each PV's log holds exactly its f144 updates of the window. Every event the sim sent during the
 * soak that never reached Kafka (UDP cannot be replayed) is accounted for by its EFU (`loss_ledger.ts`): by its
 * loss counters, or as a datagram it names as missed.
 *
 * 60 s by default; `NXFLOW_SOAK_SECONDS=600` gives the 10-minute soak of the README (the run lasts the soak less 40 s);
 * `NXFLOW_SOAK_EVENT_RATE` sets the sim's detector events/s (the default system's 1e5).
 */
import assert from "node:assert/strict";
import type { SoakReport } from "../../actors/cli/chaos_soak.ts";
import { SYSTEM_TOPICS } from "../../actors/common/system/defaults.ts";
import { startKafka } from "../_harness/kafka.ts";
import { runNxflow } from "../_harness/process.ts";
import { eventLedger, EventTally, logLedger, LogTally, readWhole } from "../_harness/soak_ledger.ts";
import { EVENT_LOSS_COUNTERS, loggedGaps, lossLedger } from "../_harness/loss_ledger.ts";
import { startSystem, type TestSystem } from "../_harness/system.ts";
import { eventually } from "../_harness/wait.ts";
import type { DetectorStats as SimStats, PulseRecord as Pulse } from "../../protocols/sim.ts";
import { EVENTS, fileReport, LOGS, readerPython, stats } from "./file_report.ts";

const SOAK_S = Number(Deno.env.get("NXFLOW_SOAK_SECONDS") ?? 60);
const RATE = Deno.env.get("NXFLOW_SOAK_EVENT_RATE");
const EVENT_RATE = RATE === undefined ? undefined : Number(RATE);
const RUN_S = Math.max(20, SOAK_S - 40);
const PULSE_NS = 71_428_571n;
/** the EFU counters of what a fault or overload cost: events, and packets (`missed_packets` includes the reader's). */
const LOSS_COUNTERS = [
  ...EVENT_LOSS_COUNTERS,
  "receive.lost",
  "receive.dropped",
  "parser.essheader.missed_packets",
  "produce.errors",
];
const EFUS = ["detector", "monitor"] as const;

/** The loss counters of one EFU, summed over its actors. */
async function lossCounters(s: TestSystem, efu: string): Promise<Record<string, number>> {
  const losses: Record<string, number> = Object.fromEntries(LOSS_COUNTERS.map((c) => [c, 0]));
  for (const actor of ["reader", "formation", "serialiser"]) {
    // an actor may be restarting: ask again (its counters outlive it)
    const c = await eventually(
      `efu/${efu}/${actor} stats`,
      () => stats<Record<string, number>>(s, `efu/${efu}/${actor}`).catch(() => null),
      (c) => c !== null,
      20_000,
    );
    for (const name of LOSS_COUNTERS) losses[name] += c![name] ?? 0;
  }
  return losses;
}

/** The loss counters of both EFUs. */
async function allLossCounters(s: TestSystem): Promise<Record<string, Record<string, number>>> {
  return Object.fromEntries(await Promise.all(EFUS.map(async (efu) => [efu, await lossCounters(s, efu)])));
}

Deno.test(`nxflow chaos --soak: ${SOAK_S} s of random crashes and silent exits; the run's file holds every event and update Kafka has, once`, async () => {
  const venv = await readerPython();
  const kafka = await startKafka();
  let s: TestSystem | null = null;
  const pulses = new Map<string, Pulse>();
  let polling = true;
  try {
    s = await startSystem({ brokers: kafka.bootstrap, extra: ["--enable-fault-injection"], eventRate: EVENT_RATE });
    const system = s;
    await eventually(
      "events formed",
      async () => (await stats<Record<string, number>>(system, "efu/detector/formation"))["events.count"],
      (n) => n > 0,
      60_000,
    );
    const poller = (async () => {
      while (polling) {
        const sim = await stats<SimStats>(system, "sim/detector").catch(() => null);
        for (const p of sim?.recent ?? []) pulses.set(p.pulseNs, p);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const soakStartNs = BigInt(Date.now()) * 1_000_000n;
    const lossesBefore = await allLossCounters(s);
    const soaking = runNxflow([
      ...["chaos", "--soak", "--interval", "2s", "--duration", `${SOAK_S}s`, "--seed", "7", "--max-hangs", "0"],
      ...["--admin", s.admin],
    ]);
    await new Promise((r) => setTimeout(r, 5000));
    const run = await runNxflow(["run", "start", "--duration", `${RUN_S}s`, "--wait", "--brokers", kafka.bootstrap]);
    const soaked = await soaking;
    // the pulses sent until the soak ended, once what the EFUs held has gone to Kafka (flushed within 1 s)
    const soakEndNs = BigInt(Date.now()) * 1_000_000n;
    await new Promise((r) => setTimeout(r, 4000));
    polling = false;
    await poller;
    const losses = await allLossCounters(s);
    assert.equal(soaked.code, 0, soaked.stdout + soaked.stderr);
    const report: SoakReport = JSON.parse(soaked.stdout.trim().split("\n").pop()!);
    assert.ok(report.faults >= SOAK_S / 3, JSON.stringify(report));
    assert.deepEqual(report.notRunning, []);
    assert.equal(report.health.leakedThreads, 0);
    // every actor faulted is seen to exit and restart (a supervisor's own restart resets its children's counts, so
    // the log, not the counts of /tree, is the record); /tree shows restarts
    for (const actor of Object.keys(report.byActor)) {
      assert.ok(s.p.lines.some((l) => l.includes(`${actor}: exited`)), `${actor}: exit in the log`);
      assert.ok(s.p.lines.some((l) => l.includes(`${actor}: restarted`)), `${actor}: restart in the log`);
    }
    assert.ok(Object.keys(report.restarts).length > 0, JSON.stringify(report.restarts));
    assert.equal(run.code, 0, `run: ${run.stdout}${run.stderr}\n--- soak:\n${soaked.stderr}`);
    const file = run.stdout.match(/finished: (.+)/)![1].trim();
    const startNs = BigInt(Date.parse(run.stdout.match(/: start \(([^)]+)\)/)![1])) * 1_000_000n;
    const stopNs = startNs + BigInt(RUN_S) * 1_000_000_000n;
    const health = await (await fetch(`${s.admin}/health`)).json();
    assert.equal(health.status, "ok", JSON.stringify(health));
    for (const efu of EFUS) for (const name of LOSS_COUNTERS) losses[efu][name] -= lossesBefore[efu][name];
    s.p.child.kill("SIGTERM");
    assert.equal((await s.p.child.status).code, 0, "the process never exited before");

    // the judge: the file against an independent read of the topics
    const file_ = await fileReport(venv, file);
    const window = { startNs, stopNs, marginNs: 2n * PULSE_NS };
    const tallies = { detector: new EventTally("bifrost_detector"), monitor: new EventTally("bifrost_monitor") };
    const logTallies = Object.keys(LOGS).map((pv) => new LogTally(pv, window));
    await readWhole(kafka.connection, Object.values(SYSTEM_TOPICS), (r) => {
      for (const t of [tallies.detector, tallies.monitor, ...logTallies]) t.add(r);
    });
    const events = {
      detector: eventLedger(tallies.detector, file_.events[EVENTS.detector], window),
      monitor: eventLedger(tallies.monitor, file_.events[EVENTS.monitor], window),
    };
    const logs = Object.fromEntries(logTallies.map((t) => [t.source, logLedger(t, file_.logs[LOGS[t.source]])]));
    // what the sims sent during the soak and Kafka never got, against what each EFU accounts for
    const inSoak = (p: Pulse) => BigInt(p.pulseNs) >= soakStartNs && BigInt(p.pulseNs) <= soakEndNs;
    const loss = Object.fromEntries(EFUS.map((efu) => {
      const packetsOf = (p: Pulse) => efu === "detector" ? p.detectorPackets : p.monitorPackets;
      const { gaps, unnamedLines } = loggedGaps(s!.p.lines, `root/efu/${efu}/formation`);
      const ledger = lossLedger([...pulses.values()], inSoak, packetsOf, tallies[efu].perPulse, losses[efu], gaps);
      return [efu, { ...ledger, packetCounters: losses[efu], unnamedLines }];
    }));
    const ledger = {
      soak: {
        seconds: SOAK_S,
        run: RUN_S,
        eventRate: EVENT_RATE,
        faults: report.faults,
        byKind: report.byKind,
        byActor: report.byActor,
      },
      restarts: report.restarts,
      events,
      logs: Object.fromEntries(Object.entries(logs).map(([pv, l]) => [pv, { ...l, missing: l.missing.length }])),
      loss,
    };
    console.log(`soak ledger: ${JSON.stringify(ledger)}`);
    for (const [kind, l] of Object.entries(events)) {
      assert.ok(l.pulsesInFile > 0, `${kind}: no pulses in the file`);
      assert.deepEqual(l.wrong.slice(0, 5), [], `${kind}: pulses whose events differ from Kafka's (file/kafka)`);
      assert.deepEqual(l.missing.slice(0, 5), [], `${kind}: pulses of the window in Kafka, not in the file`);
    }
    assert.ok(Object.values(logs).some((l) => l.inKafka > 0), "no f144 update in the window");
    for (const [efu, l] of Object.entries(loss)) {
      assert.deepEqual(l.unnamedLines, [], `${efu}: every missed datagram named`);
      assert.deepEqual(l.overSent.slice(0, 5), [], `${efu}: pulses with more events in Kafka than sent`);
      assert.equal(
        l.unaccounted,
        0,
        `${efu}: every event lost before Kafka accounted for: ${l.unexplained.join(", ")}`,
      );
      // UDP cannot be replayed (a crashed reader's batch in the making and kernel queue are lost too, as datagrams
      // missed); the rest of the EFU loses nothing to a fault (bounds may still drop under overload)
      for (const name of ["receive.lost", "events.lost", "produce.lost_events", "produce.errors"]) {
        assert.equal(l.packetCounters[name], 0, `${efu}: ${name}`);
      }
    }
    for (const [pv, l] of Object.entries(logs)) {
      assert.deepEqual([l.missing.slice(0, 3), l.extra.slice(0, 3)], [[], []], `${pv}: the log against Kafka`);
    }
  } finally {
    polling = false;
    await s?.done();
    await kafka.stop();
  }
});
