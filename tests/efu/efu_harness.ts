/**
 * Test helpers for the EFU: a running EFU tree (real workers, real UDP on 127.0.0.1, real Kafka from the harness)
 * with its control, and a reader of the ev44 topic that decodes with the real codec.
 */
import { readTopics } from "../../actors/broker/client.ts";
import { type EfuControl, startControl } from "../../actors/efu/control.ts";
import { checkEfuConfig, type EfuConfig, efuTree, ensureTopics } from "../../actors/efu/role.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { ev44, type Event44Message } from "../../schemas/ev44/codec.ts";

/** A running EFU. */
export interface TestEfu {
  config: EfuConfig;
  system: ActorSystem;
  control: EfuControl;
  /** Counter value by short name (without the `efu.<instrument>.0.` prefix). */
  counter(name: string): Promise<number>;
  stop(): Promise<void>;
}

/** A free UDP port on 127.0.0.1. */
export function freeUdpPort(): number {
  const probe = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return port;
}

/** Writes `detector` to a temporary file and starts an EFU tree with its control on it. */
export async function startEfu(
  connection: ConnectionOptions,
  detector: Record<string, unknown>,
  settings: Record<string, unknown> = {},
): Promise<TestEfu> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(detector));
  const config = checkEfuConfig({
    detector: file,
    port: freeUdpPort(),
    commandPort: 0,
    statusIntervalMs: 500,
    ...settings,
  }, "test");
  await ensureTopics(config, connection);
  const system = await ActorSystem.start(
    { id: "root", strategy: "oneForOne", intensity: 20, periodMs: 10_000, children: [efuTree(config, connection)] },
    { onFatal: (reason) => console.error(`efu test tree gave up: ${reason}`) },
  );
  const control = startControl(system, config, () => {}, () => {});
  const prefix = `efu.${config.detectorConfig.instrument}.0.`;
  return {
    config,
    system,
    control,
    async counter(name) {
      const found = (await control.counters()).find(([n]) => n === prefix + name);
      if (!found) throw new Error(`no counter ${prefix + name}`);
      return found[1];
    },
    async stop() {
      control.stop();
      await system.stop();
      await Deno.remove(file);
    },
  };
}

/** One consumed message with its Kafka timestamp. */
export interface Ev44Record<M = Event44Message> {
  timestampMs: number;
  message: M;
}

/**
 * Reads `topic` from the beginning until `done(records)` holds or `timeoutMs` passes; decodes with the real codec
 * (ev44 unless `decode` is given).
 */
export async function readTopic<M = Event44Message>(
  connection: ConnectionOptions,
  topic: string,
  done: (records: Ev44Record<M>[]) => boolean,
  timeoutMs = 30_000,
  decode: (bytes: Uint8Array) => M = ev44.decode as unknown as (bytes: Uint8Array) => M,
): Promise<Ev44Record<M>[]> {
  const records: Ev44Record<M>[] = [];
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  const reader = await readTopics(connection, [topic], "beginning", (r) => {
    records.push({ timestampMs: r.timestampMs, message: decode(r.value) });
    if (done(records)) finish();
  });
  try {
    await Promise.race([finished, new Promise((r) => setTimeout(r, timeoutMs))]);
  } finally {
    await reader.stop();
  }
  return records;
}
