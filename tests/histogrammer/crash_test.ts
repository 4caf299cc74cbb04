/**
 * Crashes mid-count leave the final counts exact, against a real Kafka: the binner (which holds the counts) and the
 * data consumer are crashed by the runtime's fault injection while events arrive; the FINISHED histograms still equal
 * numpy's of every event produced, once each. A binner crash after a `reset_counts` does not bring back what the
 * reset removed. A crash of the command actor leaves the running histograms alone.
 */
import assert from "node:assert/strict";
import { hs01 } from "../../schemas/hs01/codec.ts";
import { startKafka } from "../_harness/kafka.ts";
import { eventually } from "../_harness/wait.ts";
import { checkWithNumpy, ev44Message, randomEvents, type Rig, startRig } from "./rig.ts";

const TOF_MAX = 100_000;

/** The newest hs01 output of each id on the rig's first output topic. */
async function newest(rig: Rig) {
  const found = new Map<string, { value: Uint8Array; sum: number; state: string }>();
  for (const s of await rig.seen(rig.topics.out)) {
    const info = JSON.parse(hs01.decode(s.value).info ?? "{}");
    found.set(info.id, { value: s.value, sum: info.sum, state: info.state });
  }
  return found;
}

/** Produces `count` messages of events over both partitions and returns their events. */
async function produce(rig: Rig, seed: number, count: number): Promise<[number[], number[]]> {
  const tofs: number[] = [], dets: number[] = [];
  const records = [];
  for (let m = 0; m < count; m++) {
    const [tof, det] = randomEvents(seed * 100 + m, 3000, TOF_MAX, 1024);
    tofs.push(...tof), dets.push(...det);
    records.push({ value: ev44Message("det", BigInt(Date.now()) * 1_000_000n, tof, det), partition: m % 2 });
  }
  await rig.produce(records);
  return [tofs, dets];
}

const counted = (tof: number[]) => tof.filter((t) => t >= 0 && t <= TOF_MAX).length;

Deno.test("histogrammer: crashes mid-count leave the final counts exact", async (t) => {
  const kafka = await startKafka();
  const rig = await startRig(kafka.connection);
  const histograms = (suffix: string) => {
    const common = { data_brokers: rig.connection.brokers, data_topics: [rig.topics.events], topic: rig.topics.out };
    return [
      { type: "hist1d", ...common, tof_range: [0, TOF_MAX], num_bins: 100, id: `tof-${suffix}` },
      { type: "dethist", ...common, det_range: [0, 1023], width: 32, height: 32, id: `map-${suffix}` },
    ];
  };
  const run = async (msgId: string) => {
    await rig.command({ cmd: "config", msg_id: msgId, input_schema: "ev44", histograms: histograms(msgId) });
    assert.equal((await rig.response(msgId)).response, "ACK");
    await eventually("the run", () => newest(rig), (f) => f.get(`tof-${msgId}`)?.state === "INITIALISED");
    const [id] = await eventually("the run started", () => rig.manager.running, (r) => r.length === 1);
    return `root/histogrammer/runs/${id}`;
  };
  const finishAndCheck = async (msgId: string, tof: number[], det: number[]) => {
    await rig.command({ cmd: "stop" });
    const ids = histograms(msgId).map((h) => h.id);
    const found = await eventually(
      "FINISHED",
      () => newest(rig),
      (f) => ids.every((id) => f.get(id)?.state === "FINISHED"),
    );
    const results = await checkWithNumpy(
      histograms(msgId).map((spec) => ({
        schema: "hs01" as const,
        value: found.get(spec.id)!.value,
        spec,
        tof,
        det,
      })),
    );
    for (const [i, r] of results.entries()) assert.deepEqual(r.decoded.data, r.expected.data, ids[i]);
  };
  try {
    await t.step(
      "three binner crashes and a consumer crash while events arrive: every event counted once",
      async () => {
        const path = await run("crash");
        const tof: number[] = [], det: number[] = [];
        const add = ([a, b]: [number[], number[]]) => void (tof.push(...a), det.push(...b));
        for (let round = 0; round < 3; round++) {
          add(await produce(rig, round, 6));
          await eventually("some counts", () => newest(rig), (f) => (f.get("tof-crash")?.sum ?? 0) > 0);
          rig.system.inject(`${path}/binner`, "crash");
          add(await produce(rig, 10 + round, 4)); // while the binner restarts
        }
        // the consumer starts afresh after each binner restart: crash it once it runs again
        await eventually("the consumer crashed", () => {
          try {
            return rig.system.inject(`${path}/data`, "crash");
          } catch {
            return null;
          }
        }, Boolean);
        add(await produce(rig, 20, 4));
        await eventually("all counted", () => newest(rig), (f) => f.get("tof-crash")?.sum === counted(tof));
        // what the crashed consumer had sent still arrives, so the counts may be complete before its exit is logged
        const exits = (actor: string) => rig.logs.filter((l) => l.includes(`exited ${path}/${actor} crash`)).length;
        await eventually("the consumer's exit logged", () => Promise.resolve(exits("data")), (n) => n >= 1);
        assert.equal(exits("binner"), 3, rig.logs.join("\n"));
        assert.equal(exits("data"), 1);
        await finishAndCheck("crash", tof, det);
      },
    );

    await t.step("a binner crash after reset_counts: the reset stays", async () => {
      const path = await run("reset");
      const [before] = await produce(rig, 30, 5);
      await eventually("counted", () => newest(rig), (f) => f.get("tof-reset")?.sum === counted(before));
      await rig.command({ cmd: "reset_counts", msg_id: "r" });
      assert.equal((await rig.response("r")).response, "ACK");
      await eventually("reset", () => newest(rig), (f) => f.get("tof-reset")?.sum === 0);
      const [tof, det] = await produce(rig, 31, 5);
      await eventually("counted again", () => newest(rig), (f) => f.get("tof-reset")?.sum === counted(tof));
      rig.system.inject(`${path}/binner`, "crash");
      await eventually("restarted", () => rig.logs, (l) => l.some((x) => x.includes(`exited ${path}/binner crash`)));
      const [tof2, det2] = await produce(rig, 32, 3);
      const all = [[...tof, ...tof2], [...det, ...det2]];
      await eventually(
        "counted after the crash",
        () => newest(rig),
        (f) => f.get("tof-reset")?.sum === counted(all[0]),
      );
      await finishAndCheck("reset", all[0], all[1]);
    });

    await t.step(
      "a crash of the command actor: the running histograms go on, and commands are answered again",
      async () => {
        const path = await run("ctl");
        const [tof] = await produce(rig, 40, 3);
        await eventually("counted", () => newest(rig), (f) => f.get("tof-ctl")?.sum === counted(tof));
        rig.system.inject("root/histogrammer/control", "crash");
        await eventually(
          "restarted",
          () => rig.logs,
          (l) => l.some((x) => x.includes("exited root/histogrammer/control crash")),
        );
        await rig.listening();
        const [tof2] = await produce(rig, 41, 3);
        assert.deepEqual(rig.manager.running, [path.split("/").at(-1)]);
        await eventually("counted on", () => newest(rig), (f) => f.get("tof-ctl")?.sum === counted([...tof, ...tof2]));
        await rig.command({ cmd: "reset_counts", msg_id: "after-crash" });
        assert.equal((await rig.response("after-crash")).response, "ACK");
        await eventually("reset", () => newest(rig), (f) => f.get("tof-ctl")?.sum === 0);
      },
    );
  } finally {
    await rig.stop();
    await kafka.stop();
  }
});
