/**
 * The forwarder end to end: a real IOC, a real Kafka, the forwarder's actor tree, output decoded with the real
 * codecs. One setup, steps in order (each step's output is told apart by value or PV).
 */
import assert from "node:assert/strict";
import { fc00, x5f2 } from "../../schemas/mod.ts";
import type { ConfigProtocol, SerialiserProtocol, Stream } from "../../protocols/forwarder.ts";
import { type Decoded, startSetup, TOPICS } from "./harness.ts";
import { eventually } from "../_harness/wait.ts";

const PREFIX = "SIMPLE:";
const stream = (pv: string, schema: Stream["schema"], periodic = 0): Stream => ({
  channel: PREFIX + pv,
  schema,
  topic: TOPICS.data,
  protocol: "CA",
  periodic,
});
const isF144 = (pv: string, check: (value: unknown) => boolean) => (d: Decoded) =>
  d.id === "f144" && d.key === PREFIX + pv && check(d.message.value.value);
const status = (d: Decoded) => d.id === "x5f2" ? JSON.parse(d.message.status_json) : null;
const channelsOf = (d: Decoded) => status(d).streams.map((s: { channel_name: string }) => s.channel_name).sort();

Deno.test("forwarder: IOC updates to f144/al00/ep01, fc00 config with storage, junk, crashes and IOC restarts", async (t) => {
  const stored = [
    new TextEncoder().encode("junk before"),
    fc00.encode({ config_change: "ADD", streams: [{ ...stream("DOUBLE", "f144"), protocol: "CA" }] }),
    new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  ];
  const setup = await startSetup({
    streams: [stream("DOUBLEARRAY", "f144"), stream("DOUBLE3", "f144"), stream("STR", "f144")],
    stored,
    periodMs: 1000,
  });
  const { ioc, probe, system } = setup;
  const config = system.ref<ConfigProtocol>("config");
  const serialiser = system.ref<SerialiserProtocol>("serialiser");
  const sendConfig = (value: Uint8Array) => probe.request("produce", { topic: TOPICS.config, value });
  const lastStatusLists = (channels: string[], what: string) =>
    eventually(what, setup.seen, (all) => {
      const last = all.filter((d) => d.id === "x5f2").at(-1);
      return last !== undefined &&
        JSON.stringify(channelsOf(last)) ===
          JSON.stringify(channels.map((c) => c.includes(":") ? c : PREFIX + c).sort());
    });
  try {
    await t.step("stored config is restored (junk on the storage topic skipped) and merged with the file", async () => {
      const stats = await eventually(
        "restored",
        () => config.request("stats", null),
        (s) => s.restored && s.streams === 4,
      );
      assert.equal(stats.storageJunk, 2);
      await lastStatusLists(["DOUBLE", "DOUBLEARRAY", "DOUBLE3", "STR"], "x5f2 listing the 4 streams");
    });

    await t.step("ep01 CONNECTED for each PV", async () => {
      for (const pv of ["DOUBLE", "DOUBLEARRAY", "DOUBLE3"]) {
        await setup.waitFor(
          `ep01 ${pv}`,
          (d) => d.id === "ep01" && d.key === PREFIX + pv && d.message.status === "CONNECTED",
        );
      }
    });

    await t.step("a put arrives as f144 with the IOC's timestamp as Kafka timestamp", async () => {
      await ioc.set("DOUBLE", 3.5);
      const d = await setup.waitFor("f144 3.5", isF144("DOUBLE", (v) => v === 3.5));
      assert.equal(d.topic, TOPICS.data);
      assert.equal(d.message.value_type, "Double");
      assert.equal(d.timestampMs, Number(d.message.timestamp / 1_000_000n));
      assert.ok(Math.abs(d.timestampMs - Date.now()) < 60_000);
    });

    await t.step("an array PV arrives as f144 ArrayDouble", async () => {
      await ioc.set("DOUBLEARRAY", [1.5, 2.5, 3.5]);
      const d = await setup.waitFor(
        "f144 array",
        isF144("DOUBLEARRAY", (v) => v instanceof Float64Array && v[2] === 3.5),
      );
      assert.equal(d.message.value_type, "ArrayDouble");
      assert.deepEqual([...d.message.value.value], [1.5, 2.5, 3.5]);
    });

    await t.step("crossing an alarm limit gives al00; string PVs are rejected for f144 and counted", async () => {
      await ioc.set("DOUBLE3", 16);
      const d = await setup.waitFor(
        "al00 MINOR",
        (d) => d.id === "al00" && d.key === PREFIX + "DOUBLE3" && d.message.severity === "MINOR",
      );
      assert.equal(d.message.message, "HIGH");
      const stats = await serialiser.request("stats", null);
      assert.ok(stats.processingErrors >= 1, "the string PV's update was counted as a processing error");
      const all = await setup.seen();
      assert.ok(!all.some((x) => x.id === "f144" && x.key === PREFIX + "STR"));
    });

    await t.step("garbage on the config topic is counted and ignored", async () => {
      await sendConfig(new Uint8Array(64).map((_, i) => (i * 37) & 255));
      await sendConfig(x5f2.encode({ software_name: "wrong schema" }));
      await sendConfig(fc00.encode({ config_change: "ADD", streams: [{ channel: "", schema: "", topic: "" }] }));
      const s = await eventually(
        "rejects",
        () => config.request("stats", null),
        (s) => s.rejectedMessages >= 2 && s.rejectedStreams >= 1,
      );
      assert.equal(s.streams, 4);
    });

    await t.step(
      "ADD, REMOVE with wildcards, REPLACE and REMOVEALL change status, storage and forwarding",
      async () => {
        await sendConfig(
          fc00.encode({
            config_change: "ADD",
            streams: [{ ...stream("LONG", "f144"), protocol: "CA" }, { ...stream("ENUM", "f144"), protocol: "FAKE" }],
          }),
        );
        await lastStatusLists(["DOUBLE", "DOUBLEARRAY", "DOUBLE3", "STR", "LONG"], "x5f2 after ADD (FAKE rejected)");
        await ioc.set("LONG", 42);
        await setup.waitFor("f144 LONG", isF144("LONG", (v) => v === 42));
        await sendConfig(
          fc00.encode({ config_change: "REMOVE", streams: [{ channel: "SIMPLE:DOUBLE?", topic: "fwd_*" }] }),
        );
        await lastStatusLists(["DOUBLE", "DOUBLEARRAY", "STR", "LONG"], "x5f2 after REMOVE SIMPLE:DOUBLE?");
        await sendConfig(
          fc00.encode({ config_change: "REPLACE", streams: [{ ...stream("DOUBLE", "f144", 1), protocol: "CA" }] }),
        );
        await lastStatusLists(["DOUBLE"], "x5f2 after REPLACE");
        const stored = await eventually("storage after REPLACE", setup.seen, (all) => {
          const last = all.filter((d) => d.topic === TOPICS.storage).at(-1);
          return last?.id === "fc00" && last.message.streams?.length === 1;
        });
        assert.equal(stored.filter((d) => d.topic === TOPICS.storage).at(-1)!.message.config_change, "ADD");
      },
    );

    await t.step("an fc00 sent while the config actor restarts is applied and counted", async () => {
      const restarts = system.find("config").restarts;
      const crashedAt = Date.now();
      system.inject("config", "crash");
      await eventually("config restarted", () => system.find("config").restarts, (n) => n > restarts);
      // the command's Kafka timestamp is from before the new incarnation started, as if sent while it was down
      const add = fc00.encode({ config_change: "ADD", streams: [{ ...stream("LONG", "f144"), protocol: "CA" }] });
      await probe.request("produce", { topic: TOPICS.config, value: add, timestampMs: crashedAt - 1 });
      await lastStatusLists(["DOUBLE", "LONG"], "x5f2 with the stream added during the restart");
      const stats = await eventually("counted", () => config.request("stats", null), (s) => s.streams === 2);
      assert.equal(stats.applied, 1, "the new command, counted once; the replayed ones are in the stored set");
      await sendConfig(
        fc00.encode({ config_change: "REPLACE", streams: [{ ...stream("DOUBLE", "f144", 1), protocol: "CA" }] }),
      );
      await lastStatusLists(["DOUBLE"], "x5f2 after REPLACE");
    });

    await t.step("periodic re-sends of the last value arrive with the current time as Kafka timestamp", async () => {
      await ioc.set("DOUBLE", 4.25);
      const first = await setup.waitFor("f144 4.25", isF144("DOUBLE", (v) => v === 4.25));
      const repeats = await eventually(
        "re-sends",
        setup.seen,
        (all) => all.filter(isF144("DOUBLE", (v) => v === 4.25)).length >= 3,
        20_000,
      );
      const last = repeats.filter(isF144("DOUBLE", (v) => v === 4.25)).at(-1)!;
      assert.equal(last.message.timestamp, first.message.timestamp, "same flatbuffer, old EPICS timestamp");
      assert.ok(last.timestampMs > first.timestampMs, "Kafka timestamp is the time of the re-send");
    });

    await t.step("a crashed monitor group reports its PVs disconnected, restarts and resubscribes", async () => {
      const before = (await setup.seen()).length;
      for (let i = 0; i < 2; i++) system.inject(`monitor_${i}`, "crash");
      await setup.waitFor(
        "ep01 DISCONNECTED",
        (d) => d.id === "ep01" && d.key === PREFIX + "DOUBLE" && d.message.status === "DISCONNECTED",
      );
      await eventually(
        "reconnected",
        setup.seen,
        (all) =>
          all.slice(before).some((d) =>
            d.id === "ep01" && d.key === PREFIX + "DOUBLE" && d.message.status === "CONNECTED"
          ),
      );
      await ioc.set("DOUBLE", 5.5);
      await setup.waitFor("f144 after crash", isF144("DOUBLE", (v) => v === 5.5));
    });

    await t.step("tdct for chopper offsets, f142 on request, x5f2 every 4 s", async () => {
      const add = [stream("CHOPPER", "tdct"), stream("DOUBLE2", "f142")].map((s) => ({
        ...s,
        protocol: "CA" as const,
      }));
      await sendConfig(fc00.encode({ config_change: "ADD", streams: add }));
      await lastStatusLists(["DOUBLE", "CHOPPER", "DOUBLE2"], "x5f2 after ADD tdct/f142");
      await ioc.set("CHOPPER", [0, 1000, 2500]);
      const t = await setup.waitFor(
        "tdct",
        (d) => d.id === "tdct" && d.message.name === PREFIX + "CHOPPER" && d.message.timestamps.length === 3,
      );
      const [t0, t1, t2] = t.message.timestamps as BigUint64Array;
      assert.deepEqual([t1 - t0, t2 - t0], [1000n, 2500n]);
      assert.equal(t.timestampMs, Number(t0 / 1_000_000n));
      await ioc.set("DOUBLE2", 16.5);
      const f = await setup.waitFor(
        "f142",
        (d) => d.id === "f142" && d.message.source_name === PREFIX + "DOUBLE2" && d.message.value.value === 16.5,
      );
      assert.equal(f.message.value_type, "Double");
      const statuses = (await setup.seen()).filter((d) => d.id === "x5f2").length;
      await eventually(
        "periodic x5f2",
        setup.seen,
        (all) => all.filter((d) => d.id === "x5f2").length >= statuses + 2,
        15_000,
      );
    });

    await t.step("the timestamp filter drops old and future updates and counts them", async () => {
      await sendConfig(
        fc00.encode({ config_change: "ADD", streams: [{ ...stream("STAMPED", "f144"), protocol: "CA" }] }),
      );
      await lastStatusLists(["DOUBLE", "CHOPPER", "DOUBLE2", "STAMPED"], "x5f2 with STAMPED");
      const now = Date.now() / 1000;
      await ioc.command(`stamp STAMPED 1.5 ${now}`);
      await setup.waitFor("f144 stamped", isF144("STAMPED", (v) => v === 1.5));
      const before = (await serialiser.request("stats", null)).droppedTimestamps;
      await ioc.command(`stamp STAMPED 2.5 ${now - 2 * 365 * 86400}`);
      await ioc.command(`stamp STAMPED 3.5 ${now + 3600}`);
      await ioc.command(`stamp STAMPED 4.5 ${now + 1}`);
      await setup.waitFor("f144 after the filter", isF144("STAMPED", (v) => v === 4.5));
      const all = await setup.seen();
      assert.ok(!all.some(isF144("STAMPED", (v) => v === 2.5 || v === 3.5)));
      assert.equal((await serialiser.request("stats", null)).droppedTimestamps - before, 2);
    });

    await t.step(
      "stopping and restarting the IOC gives ep01 DISCONNECTED then CONNECTED; forwarding resumes",
      async () => {
        const before = (await setup.seen()).length;
        await setup.restartIoc(1000);
        await eventually("ep01 after IOC restart", setup.seen, (all) => {
          const ep = all.slice(before).filter((d) => d.id === "ep01" && d.key === PREFIX + "DOUBLE").map((d) =>
            d.message.status
          );
          return ep.includes("DISCONNECTED") && ep.at(-1) === "CONNECTED";
        }, 60_000);
        await setup.ioc.set("DOUBLE", 6.5);
        await setup.waitFor("f144 after IOC restart", isF144("DOUBLE", (v) => v === 6.5));
      },
    );

    await t.step("a PV that appears after the subscription connects later", async () => {
      await sendConfig(
        fc00.encode({
          config_change: "ADD",
          streams: [{ ...stream("DOUBLE", "f144"), channel: "LATE:DOUBLE", protocol: "CA" }],
        }),
      );
      await lastStatusLists(["DOUBLE", "CHOPPER", "DOUBLE2", "STAMPED", "LATE:DOUBLE"], "x5f2 with the late PV");
      await new Promise((r) => setTimeout(r, 1000));
      const late = await setup.startLateIoc();
      await late.set("DOUBLE", 9.25);
      await setup.waitFor(
        "late PV",
        (d) => d.id === "f144" && d.key === "LATE:DOUBLE" && d.message.value.value === 9.25,
        60_000,
      );
    });

    await t.step("REMOVEALL empties the streams", async () => {
      await sendConfig(fc00.encode({ config_change: "REMOVEALL", streams: [] }));
      await lastStatusLists([], "x5f2 after REMOVEALL");
      await eventually(
        "storage REMOVEALL",
        setup.seen,
        (all) => all.filter((d) => d.topic === TOPICS.storage).at(-1)?.message?.config_change === "REMOVEALL",
      );
    });
  } finally {
    await setup.stop();
  }
});
