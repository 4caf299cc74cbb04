/**
 * A histogrammer under test against a real Kafka: the histogrammer subtree and its run manager (as `nxflow start`
 * runs them), and a probe on the far side of Kafka that sends commands and events and reads the output, response and
 * heartbeat topics. Each rig has topics of its own, so several rigs can share one broker. Also: ev44/ev42 messages,
 * and the numpy reference (numpy_check.py) run in the project's Python venv.
 */
import assert from "node:assert/strict";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import type { ConsumerConfig } from "../../actors/broker/consumer.ts";
import type { ProducerConfig } from "../../actors/broker/producer.ts";
import { controlConfig, HISTOGRAMMER_DEFAULTS } from "../../actors/histogrammer/role.ts";
import { RunManager } from "../../actors/histogrammer/manager.ts";
import { histogrammerTree } from "../../actors/histogrammer/tree.ts";
import { type ActorRef, ActorSystem } from "../../actors/runtime/mod.ts";
import { ev42 } from "../../schemas/ev42/codec.ts";
import { ev44 } from "../../schemas/ev44/codec.ts";
import { ensureVenv, SCHEMA_TOOLS } from "../../scripts/python_venv.ts";
import type { ProbeProtocol, Seen } from "../_fixtures/actors/kafka_probe.ts";
import { eventually } from "../_harness/wait.ts";

const BROKER = new URL("../../actors/broker/", import.meta.url);

/** A running histogrammer and its probe. */
export interface Rig {
  system: ActorSystem;
  probe: ActorRef<ProbeProtocol>;
  manager: RunManager;
  connection: ConnectionOptions;
  /** topic names of this rig: commands, responses, heartbeat, events (2 partitions), out, out2. */
  topics: { commands: string; responses: string; heartbeat: string; events: string; out: string; out2: string };
  logs: string[];
  /** Pings until the command actor answers: it reads the config topic from its end (again after a restart). */
  listening(): Promise<void>;
  /** Produces a command (an object is JSON-encoded; a string is sent as is). */
  command(body: unknown): Promise<void>;
  /** Produces event messages to the events topic. */
  produce(records: { value: Uint8Array; timestampMs?: number; partition?: number }[]): Promise<void>;
  /** Every record read so far from one of the rig's topics. */
  seen(topic: string): Promise<Seen[]>;
  /** The JSON responses read so far. */
  responses(): Promise<{ msg_id: string; response: string; message?: string }[]>;
  /** Waits for the response to `msgId`. */
  response(msgId: string): Promise<{ msg_id: string; response: string; message?: string }>;
  stop(): Promise<void>;
}

let rigs = 0;

/** Starts a histogrammer (publishing every `publishMs`) and its probe, and waits until it listens for commands. */
export async function startRig(connection: ConnectionOptions, publishMs = 300): Promise<Rig> {
  const n = `${Date.now() % 100000}_${rigs++}`;
  const topics = {
    commands: `h${n}_commands`,
    responses: `h${n}_responses`,
    heartbeat: `h${n}_heartbeat`,
    events: `h${n}_events`,
    out: `h${n}_out`,
    out2: `h${n}_out2`,
  };
  const admin = await BrokerAdmin.connect(connection);
  try {
    await admin.createTopics(
      Object.entries(topics).map(([k, topic]) => ({ topic, partitions: k === "events" ? 2 : 1 })),
    );
  } finally {
    await admin.close();
  }
  const settings = {
    ...HISTOGRAMMER_DEFAULTS,
    configTopic: topics.commands,
    responseTopic: topics.responses,
    hbTopic: topics.heartbeat,
    publishIntervalMs: publishMs,
  };
  const logs: string[] = [];
  const log = (level: string, source: string, message: string) => {
    logs.push(`${level} ${source}: ${message}`);
    if (Deno.env.get("NXFLOW_TEST_LOG")) console.error(`${level} ${source}: ${message}`);
  };
  const system = await ActorSystem.start({
    id: "root",
    children: [
      histogrammerTree(controlConfig(settings, connection), topics.commands, connection),
      {
        id: "probe_side",
        children: [
          { id: "probe_producer", module: new URL("producer.ts", BROKER), config: { connection } as ProducerConfig },
          {
            id: "probe_consumer",
            module: new URL("consumer.ts", BROKER),
            config: {
              connection,
              topics: [topics.responses, topics.heartbeat, topics.out, topics.out2].map((topic) => ({ topic })),
              start: "beginning",
            } as ConsumerConfig,
          },
          { id: "probe", module: new URL("../_fixtures/actors/kafka_probe.ts", import.meta.url) },
        ],
        channels: [
          { name: "records", between: ["probe", "probe_producer"] },
          { name: "batches", between: ["probe_consumer", "probe"] },
        ],
      },
    ],
  }, { onEvent: (e) => logs.push(`${e.time} ${e.type} ${e.path} ${e.kind ?? ""} ${e.reason ?? ""}`) });
  const manager = new RunManager(system, "root/histogrammer", log);
  const probe = system.ref<ProbeProtocol>("probe");
  const seen = async (topic: string) => (await probe.request("seen", null)).filter((s) => s.topic === topic);
  const responses = async () =>
    (await seen(topics.responses)).map((s) => JSON.parse(new TextDecoder().decode(s.value)));
  // the config topic is read from its end: ping until a command is answered, so the test's commands are seen
  const command = async (text: string): Promise<void> =>
    void await probe.request("produce", { topic: topics.commands, value: new TextEncoder().encode(text) });
  let pings = 0;
  const listening = async () => {
    const answered = (r: { msg_id: string }[]) => r.filter((x) => x.msg_id.startsWith("ping-")).length;
    const before = answered(await responses());
    await eventually(
      "an answer to a ping",
      async () => {
        await command(JSON.stringify({ cmd: "ping", msg_id: `ping-${pings++}` }));
        await new Promise((r) => setTimeout(r, 500));
        return await responses();
      },
      (r) => answered(r) > before,
      60_000,
    );
  };
  await listening();
  return {
    system,
    probe,
    manager,
    connection,
    topics,
    logs,
    listening,
    command: (body) => command(typeof body === "string" ? body : JSON.stringify(body)),
    async produce(records) {
      await probe.request("produceMany", records.map((r) => ({ topic: topics.events, ...r })));
    },
    seen,
    responses,
    async response(msgId) {
      const all = await eventually(`the response to ${msgId}`, responses, (r) => r.some((x) => x.msg_id === msgId));
      return all.find((x) => x.msg_id === msgId)!;
    },
    stop: async () => void await system.stop(),
  };
}

/** An ev44 message of one pulse. */
export function ev44Message(source: string, pulseNs: bigint, tof: Int32Array, det: Int32Array): Uint8Array {
  return ev44.encode({
    source_name: source,
    message_id: 0,
    reference_time: [pulseNs],
    reference_time_index: [0],
    time_of_flight: tof,
    pixel_id: det,
  });
}

/** An ev42 message of one pulse. */
export function ev42Message(source: string, pulseNs: bigint, tof: Int32Array, det: Int32Array): Uint8Array {
  return ev42.encode({
    source_name: source,
    message_id: 0,
    pulse_time: pulseNs,
    time_of_flight: new Uint32Array(tof),
    detector_id: new Uint32Array(det),
  });
}

/** One histogram message to check against numpy. */
export interface Case {
  schema: "hs01" | "hs00" | "da00";
  value: Uint8Array;
  /** the histogram entry as sent in the command (just-bin-it's keys). */
  spec: Record<string, unknown>;
  tof: ArrayLike<number>;
  det: ArrayLike<number>;
}

/** What numpy_check.py reports for one case. */
export interface Checked {
  // deno-lint-ignore no-explicit-any
  decoded: Record<string, any>;
  expected: { data: number[]; shape: number[]; edges: number[][] };
}

const CHECK = new URL("./numpy_check.py", import.meta.url).pathname;
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Decodes each message with ess-streaming-data-types and bins its events with numpy (numpy_check.py). */
export async function checkWithNumpy(cases: Case[]): Promise<Checked[]> {
  const python = await ensureVenv(SCHEMA_TOOLS);
  const request = {
    cases: cases.map((c) => ({
      schema: c.schema,
      hex: hex(c.value),
      spec: c.spec,
      tof: Array.from(c.tof),
      det: Array.from(c.det),
    })),
  };
  const child = new Deno.Command(python, { args: [CHECK], stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(request)));
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, `numpy_check.py failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)).results;
}

/** Seeded events: TOF and ids spread over and beyond the ranges, the edges themselves included. */
export function randomEvents(seed: number, n: number, tofMax: number, idMax: number): [Int32Array, Int32Array] {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const tof = new Int32Array(n), det = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    tof[i] = Math.floor(next() * (tofMax + 2)) - 1;
    det[i] = Math.floor(next() * (idMax + 2)) - 1;
  }
  return [tof, det];
}
