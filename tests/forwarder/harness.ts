/**
 * The forwarder under test: a real IOC, a real Kafka, the forwarder tree and a probe (producer + consumer + probe
 * actor) in one actor system, with helpers to decode what arrived on the output topics with the real codecs.
 */
import type { ConsumerConfig } from "../../actors/broker/consumer.ts";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { type ForwarderConfig, forwarderTree } from "../../actors/forwarder/tree.ts";
import { type ActorRef, ActorSystem } from "../../actors/runtime/mod.ts";
import { decodeAny } from "../../schemas/mod.ts";
import type { Stream } from "../../protocols/forwarder.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { startKafka, type TestKafka } from "../_harness/kafka.ts";
import { freePort, startIoc, type TestIoc } from "../_harness/ioc.ts";
import type { ProbeProtocol, Seen } from "../_fixtures/actors/kafka_probe.ts";
import { eventually } from "../_harness/wait.ts";

/** The topics every forwarder test uses. */
export const TOPICS = { config: "fwd_config", status: "fwd_status", storage: "fwd_storage", data: "fwd_data" };

/** A decoded output record. */
export interface Decoded {
  topic: string;
  key: string;
  timestampMs: number;
  id: string;
  // deno-lint-ignore no-explicit-any
  message: any;
}

/** The running setup. */
export interface Setup {
  kafka: TestKafka;
  /** the main IOC (prefix `SIMPLE:`); replaced by {@linkcode Setup.restartIoc}. */
  ioc: TestIoc;
  /** Stops the IOC, waits `downMs`, starts it again on the same port. */
  restartIoc(downMs: number): Promise<void>;
  /** Starts the IOC that serves `LATE:DOUBLE` on the port the forwarder has searched from the start. */
  startLateIoc(): Promise<TestIoc>;
  /** the forwarder's own system (paths `forwarder/serialiser`, `forwarder/monitor_0`, ...). */
  system: ActorSystem;
  probe: ActorRef<ProbeProtocol>;
  /** Every record read from the output topics so far, decoded. */
  seen(): Promise<Decoded[]>;
  /** Waits until a decoded record passes `check`; returns it. */
  waitFor(what: string, check: (d: Decoded) => boolean, timeoutMs?: number): Promise<Decoded>;
  stop(): Promise<void>;
}

/** What to start with. */
export interface SetupOptions {
  streams?: Stream[];
  periodMs?: number;
  groups?: number;
  /** where the forwarder searches PVA PVs (`host:port` list); nowhere useful when absent. */
  pvaAddrList?: string;
  /** records put on the storage topic before the forwarder starts. */
  stored?: Uint8Array[];
}

/** Decodes a record read by the probe with the real codecs (`junk` when it is not a known schema). */
export function decode(s: Seen): Decoded {
  try {
    const { id, message } = decodeAny(s.value);
    return { topic: s.topic, key: s.key, timestampMs: s.timestampMs, id, message };
  } catch {
    return { topic: s.topic, key: s.key, timestampMs: s.timestampMs, id: "junk", message: null };
  }
}

/** Starts the probe (a producer, a consumer of `topics` from the beginning, and the probe actor); stop it after. */
export function startProbes(connection: ConnectionOptions, topics: string[]): Promise<ActorSystem> {
  const probeConsumer: ConsumerConfig = { connection, topics: topics.map((topic) => ({ topic })), start: "beginning" };
  return ActorSystem.start({
    id: "probes",
    strategy: "oneForOne",
    intensity: 50,
    periodMs: 10_000,
    children: [
      {
        id: "probe_producer",
        module: new URL("../../actors/broker/producer.ts", import.meta.url),
        config: { connection },
      },
      {
        id: "probe_consumer",
        module: new URL("../../actors/broker/consumer.ts", import.meta.url),
        config: probeConsumer,
      },
      { id: "probe", module: new URL("../_fixtures/actors/kafka_probe.ts", import.meta.url) },
    ],
    channels: [
      { name: "records", between: ["probe", "probe_producer"] },
      { name: "batches", between: ["probe_consumer", "probe"] },
    ],
  }, { onFatal: (reason) => console.error(`probe tree gave up: ${reason}`) });
}

/** Starts everything; always `stop()` in a `finally`. */
export async function startSetup(options: SetupOptions = {}): Promise<Setup> {
  const kafka = await startKafka({ heapMb: 512 });
  let ioc: TestIoc | null = null;
  let late = null as TestIoc | null;
  let probes: ActorSystem | null = null;
  let system: ActorSystem | null = null;
  try {
    ioc = await startIoc();
    const latePort = freePort();
    const admin = await BrokerAdmin.connect(kafka.connection);
    await admin.createTopics(Object.values(TOPICS).map((topic) => ({ topic })));
    await admin.close();
    probes = await startProbes(kafka.connection, [TOPICS.data, TOPICS.status, TOPICS.storage]);
    const probe = probes.ref<ProbeProtocol>("probe");
    for (const value of options.stored ?? []) {
      await probe.request("produce", { topic: TOPICS.storage, value, partition: 0 });
    }
    const config: ForwarderConfig = {
      kafka: kafka.connection,
      configTopic: TOPICS.config,
      statusTopic: TOPICS.status,
      storageTopic: TOPICS.storage,
      skipRetrieval: false,
      periodMs: options.periodMs,
      statusIntervalMs: 4000,
      groups: options.groups ?? 2,
      serviceId: "test-forwarder",
      ca: { addrList: `127.0.0.1:${ioc.port} 127.0.0.1:${latePort}`, serverPort: ioc.port },
      pva: { addrList: options.pvaAddrList ?? "127.0.0.1:9" },
      streams: options.streams ?? [],
      version: "test",
    };
    system = await ActorSystem.start(forwarderTree(config), {
      onFatal: (reason) => console.error(`forwarder gave up: ${reason}`),
    });
    const seen = async () => (await probe.request("seen", null)).map(decode);
    const setup: Setup = {
      kafka,
      ioc,
      system,
      async restartIoc(downMs) {
        await setup.ioc.stop();
        await new Promise((r) => setTimeout(r, downMs));
        ioc = setup.ioc = await startIoc({ port: setup.ioc.port });
      },
      async startLateIoc() {
        late = await startIoc({ prefix: "LATE:", minimal: true, port: latePort });
        return late;
      },
      probe,
      seen,
      async waitFor(what, check, timeoutMs = 30_000) {
        const all = await eventually(what, seen, (list) => list.some(check), timeoutMs);
        return all.find(check)!;
      },
      async stop() {
        await system!.stop();
        await probes!.stop();
        await ioc!.stop();
        await late?.stop();
        await kafka.stop();
      },
    };
    return setup;
  } catch (error) {
    await system?.stop();
    await probes?.stop();
    await ioc?.stop();
    await late?.stop();
    await kafka.stop();
    throw error;
  }
}
