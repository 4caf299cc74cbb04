import assert from "node:assert/strict";
import { generate, type GeneratorOptions } from "../../actors/efu/generator.ts";
import type { ActorSnapshot, SupervisorSnapshot } from "../../protocols/supervision.ts";
import { x5f2 } from "../../schemas/x5f2/codec.ts";
import type { Event44Message } from "../../schemas/ev44/codec.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { readTopics } from "../../actors/broker/client.ts";
import { startControl } from "../../actors/efu/control.ts";
import { startKafka } from "../_harness/kafka.ts";
import { readTopic, startEfu, type TestEfu } from "./efu_harness.ts";
import { eventually } from "../_harness/wait.ts";

function options(efu: TestEfu, o: Partial<GeneratorOptions> = {}): GeneratorOptions {
  return {
    detector: efu.config.detectorConfig,
    host: "127.0.0.1",
    port: efu.config.port,
    packets: 200,
    rate: 400,
    seed: 5,
    version: 0,
    pulseHz: 14,
    packetBytes: 1500,
    packetsPerPulse: 30,
    startNs: 1_760_000_000_000_000_000n,
    faults: [],
    ...o,
  };
}

function restarts(efu: TestEfu, id: string): number {
  const walk = (s: SupervisorSnapshot): ActorSnapshot[] =>
    s.children.flatMap((c) => c.kind === "actor" ? [c] : walk(c));
  return walk(efu.system.snapshot().root).find((a) => a.id === id)!.restarts;
}

/** Some counters of `efu` now, by short name (or position), with the change since an earlier snapshot. */
async function snapshot(efu: TestEfu, names: string[]) {
  const values = new Map<string, number>();
  for (const n of names) values.set(n, await efu.counter(n));
  return {
    values,
    get: (name: string | number) => typeof name === "number" ? values.get(names[name])! : values.get(name)!,
    delta: (name: string, earlier: { values: Map<string, number> }) => values.get(name)! - earlier.values.get(name)!,
  };
}

/**
 * Stops the `down` actor silently (found by heartbeats, seconds later) and crashes the `crash` actor during a run
 * meanwhile: every event of the run is in Kafka once the `down` actor runs again (a repeat, the same source, message
 * id and pulse, counted once), and nothing is counted lost.
 */
async function crashWhileDown(
  efu: TestEfu,
  connection: ConnectionOptions,
  o: { down: string; crash: string; seed: number },
): Promise<void> {
  const startNs = BigInt(1_780_000_000 + o.seed * 10_000_000) * 1_000_000_000n;
  const before = await snapshot(efu, ["produce.events", "events.lost", "produce.lost_events"]);
  const restartsBefore = restarts(efu, o.down);
  efu.system.inject(`efu/${o.down}`, "exit");
  const run = generate(options(efu, { packets: 600, seed: o.seed, startNs }));
  await new Promise((r) => setTimeout(r, 500));
  efu.system.inject(`efu/${o.crash}`, "crash");
  const summary = await run;
  await eventually(`${o.down} restarted`, () => Promise.resolve(restarts(efu, o.down)), (n) => n > restartsBefore);
  await eventually(
    "every event produced",
    async () => (await snapshot(efu, ["produce.events"])).delta("produce.events", before),
    (n) => n >= summary.expectedEvents,
  );
  const events = new Map<string, number>();
  const count = (records: { message: Event44Message }[]) => {
    for (const { message: m } of records) {
      if (m.reference_time[0] < startNs) continue;
      events.set(`${m.source_name} ${m.message_id} ${m.reference_time[0]}`, m.pixel_id?.length ?? 0);
    }
    return [...events.values()].reduce((a, b) => a + b, 0);
  };
  await readTopic(connection, efu.config.topic, (r) => count(r) >= summary.expectedEvents, 30_000);
  assert.equal([...events.values()].reduce((a, b) => a + b, 0), summary.expectedEvents);
  const after = await snapshot(efu, ["events.lost", "produce.lost_events"]);
  assert.equal(after.delta("events.lost", before) + after.delta("produce.lost_events", before), 0);
}

async function ask(port: number, lines: string[]): Promise<string[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(lines.map((l) => l + "\n").join("")));
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of conn.readable) {
      text += decoder.decode(chunk, { stream: true });
      if (text.split("\n").length > lines.length) break;
    }
    return text.trim().split("\n");
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the readable's cancellation
    }
  }
}

Deno.test("efu control and resilience", async (t) => {
  const kafka = await startKafka();
  const efu = await startEfu(kafka.connection, { instrument: "bifrost", family: "caen" });
  try {
    await t.step("the command API answers every command and rejects unknown ones", async () => {
      const port = efu.control.commandPort!;
      const answers = await ask(port, [
        "VERSION_GET",
        "DETECTOR_INFO_GET",
        "STAT_GET_COUNT",
        "STAT_GET 1",
        "STAT_GET_NAME efu.bifrost.0.receive.packets",
        "CMD_GET_COUNT",
        "CMD_GET 8",
        "NOPE",
        "STAT_GET 0",
        "STAT_GET_NAME no.such.counter",
        "CMD_GET x",
      ]);
      assert.match(answers[0], /^VERSION_GET \S+ nxflow-efu$/);
      assert.equal(answers[1], "DETECTOR_INFO_GET bifrost");
      const count = Number(answers[2].split(" ")[1]);
      assert.ok(count > 40, answers[2]);
      assert.match(answers[3], /^STAT_GET efu\.bifrost\.0\.\S+ \d+$/);
      assert.equal(answers[4], "STAT_GET_NAME efu.bifrost.0.receive.packets 0");
      assert.equal(answers[5], "CMD_GET_COUNT 8");
      assert.equal(answers[6], "CMD_GET EXIT");
      assert.equal(answers[7], "Error: <BADCMD>");
      assert.deepEqual(answers.slice(8), ["Error: <BADARGS>", "Error: <BADARGS>", "Error: <BADARGS>"]);
    });

    await t.step("garbage datagrams (random bytes, 0 bytes, 65 kB) are counted and never crash it", async () => {
      const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
      const to = { transport: "udp" as const, hostname: "127.0.0.1", port: efu.config.port };
      try {
        const datagrams = [new Uint8Array(0), new Uint8Array(65_000).fill(0x45)];
        for (let i = 0; i < 50; i++) datagrams.push(crypto.getRandomValues(new Uint8Array(1 + i * 150)));
        for (const d of datagrams) {
          await conn.send(d, to);
          await new Promise((r) => setTimeout(r, 5)); // stay well inside the kernel's default receive buffer
        }
      } finally {
        conn.close();
      }
      await eventually("52 datagrams received", () => efu.counter("receive.packets"), (n) => n >= 52);
      await eventually("52 header errors", () => efu.counter("parser.essheader.errors.header"), (n) => n >= 52);
      assert.equal(await efu.counter("events.count"), 0);
      assert.equal(restarts(efu, "formation") + restarts(efu, "reader"), 0);
    });

    await t.step(
      "a formation crash during a run loses nothing: the reader sends its replacement what it took",
      async () => {
        const names = ["receive.packets", "receive.lost", "receive.dropped", "readouts.packets", "events.count"];
        names.push("parser.essheader.errors.seqno", "parser.essheader.missed_packets", "produce.events");
        const before = await snapshot(efu, names);
        const run = generate(options(efu, { packets: 600 }));
        await new Promise((r) => setTimeout(r, 500));
        const formedBeforeCrash = await efu.counter("events.count");
        efu.system.inject("efu/formation", "crash");
        const summary = await run;
        await eventually(
          "all datagrams received",
          () => efu.counter("receive.packets"),
          (n) => n >= before.get(0) + 600,
        );
        await eventually("formation restarted", () => Promise.resolve(restarts(efu, "formation")), (n) => n === 1);
        assert.equal(restarts(efu, "reader"), 0, "the socket reader was not restarted");
        const perPacket = Math.floor((1500 - 30) / 24);
        assert.equal(summary.expectedEvents, 600 * perPacket);
        assert.ok(formedBeforeCrash < summary.expectedEvents, "the crash came during the run");
        const after = await eventually(
          "every event produced",
          () => snapshot(efu, names),
          (a) => a.delta("produce.events", before) >= summary.expectedEvents,
        );
        // the restarted formation actor goes on from the crashed one's counters and expected sequence numbers
        assert.equal(after.delta("readouts.packets", before), 600, "every packet formed once");
        assert.equal(after.delta("events.count", before), summary.expectedEvents, "and every event of those");
        assert.equal(after.delta("produce.events", before), summary.expectedEvents);
        for (const name of ["receive.lost", "receive.dropped", "parser.essheader.errors.seqno"]) {
          assert.equal(after.delta(name, before), 0, name);
        }
        assert.equal(after.delta("parser.essheader.missed_packets", before), 0);
      },
    );

    await t.step(
      "a serialiser crash during a run loses nothing: formation sends its replacement what it took; message ids go on",
      async () => {
        const names = ["receive.packets", "events.count", "events.lost", "events.dropped", "produce.events"];
        const before = await snapshot(efu, [...names, "produce.lost_events", "produce.messages"]);
        const run = generate(options(efu, { packets: 600, seed: 9, startNs: 1_770_000_000_000_000_000n }));
        await new Promise((r) => setTimeout(r, 500));
        const producedBeforeCrash = await efu.counter("produce.events");
        efu.system.inject("efu/serialiser", "crash");
        const summary = await run;
        await eventually(
          "all datagrams received",
          () => efu.counter("receive.packets"),
          (n) => n >= before.get(0) + 600,
        );
        await eventually("serialiser restarted", () => Promise.resolve(restarts(efu, "serialiser")), (n) => n === 1);
        assert.equal(restarts(efu, "reader"), 0, "the socket reader was not restarted");
        assert.equal(restarts(efu, "formation"), 1, "formation only restarted by the previous step");
        assert.ok(
          producedBeforeCrash - before.get("produce.events") < summary.expectedEvents,
          "the crash came during the run",
        );
        // the events in flight to the crashed serialiser are sent again, those in its buffers taken over
        const after = await eventually(
          "every event produced",
          () => snapshot(efu, [...names, "produce.lost_events"]),
          (a) => a.delta("produce.events", before) >= summary.expectedEvents,
        );
        assert.equal(after.delta("events.count", before), summary.expectedEvents);
        assert.equal(after.delta("produce.events", before), summary.expectedEvents, "every event produced once");
        for (const name of ["events.lost", "events.dropped", "produce.lost_events"]) {
          assert.equal(after.delta(name, before), 0, name);
        }
        // message ids of each source increase across the crash: no id is used twice
        const messages = await efu.counter("produce.messages");
        const records = await readTopic(kafka.connection, efu.config.topic, (r) => r.length >= messages, 30_000);
        const seen = new Set<string>();
        for (const { message } of records) {
          const key = `${message.source_name} ${message.message_id}`;
          assert.ok(!seen.has(key), `message id used twice: ${key}`);
          seen.add(key);
        }
        assert.equal(records.length, messages, "every counted message is on the topic");
      },
    );

    await t.step(
      "a serialiser crash while its producer is down loses nothing: its successor sends the records again",
      () => crashWhileDown(efu, kafka.connection, { down: "producer", crash: "serialiser", seed: 11 }),
    );

    await t.step(
      "a formation crash while the serialiser is down loses nothing: its successor sends the kept batches again",
      () => crashWhileDown(efu, kafka.connection, { down: "serialiser", crash: "formation", seed: 12 }),
    );

    await t.step("Graphite gets every counter as Carbon plaintext lines", async () => {
      const carbon = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (carbon.addr as Deno.NetAddr).port;
      const graphite = startControl(
        efu.system,
        { ...efu.config, commandPort: -1, graphite: `127.0.0.1:${port}`, statusIntervalMs: 600_000 },
        () => {},
        () => {},
      );
      try {
        const conn = await carbon.accept();
        let text = "";
        const decoder = new TextDecoder();
        for await (const chunk of conn.readable) {
          text += decoder.decode(chunk, { stream: true });
          if (/efu\.bifrost\.0\.produce\.events \d+ \d+\n/.test(text)) break;
        }
        const line = text.split("\n").find((l) => l.startsWith("efu.bifrost.0.receive.packets "))!;
        const [, value, time] = line.split(" ");
        assert.ok(Number(value) > 1000);
        assert.ok(Math.abs(Number(time) - Date.now() / 1000) < 60);
      } finally {
        graphite.stop();
        carbon.close();
      }
    });

    await t.step("x5f2 status with the counters is published on the status topic", async () => {
      let found: (s: Record<string, unknown>) => void = () => {};
      const first = new Promise<Record<string, unknown>>((resolve) => found = resolve);
      const reader = await readTopics(kafka.connection, [efu.config.statusTopic], "beginning", (r) => {
        const s = x5f2.decode(r.value);
        found({ ...JSON.parse(s.status_json!), software_name: s.software_name });
      });
      try {
        const status = await Promise.race([
          first,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no status within 20 s")), 20_000)),
        ]);
        assert.equal(status.software_name, "nxflow-efu");
        assert.equal(status.detector, "bifrost");
        assert.ok("efu.bifrost.0.receive.packets" in (status.counters as Record<string, number>));
      } finally {
        await reader.stop();
      }
    });
  } finally {
    await efu.stop();
    await kafka.stop();
  }
});
