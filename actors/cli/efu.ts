/**
 * `nxflow efu`: runs the event formation unit alone (the `efu` role of `nxflow start` with options on the command
 * line): ESS readout over UDP → ev44 on Kafka, with the command API, x5f2 status and optional Graphite.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startControl } from "../efu/control.ts";
import { FAMILIES } from "../efu/families/registry.ts";
import { checkEfuConfig, EFU_DEFAULTS, type EfuConfig, efuTree, ensureTopics } from "../efu/role.ts";
import { ActorSystem, EXIT_CODES } from "../runtime/mod.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { type Command, UsageError } from "./command.ts";
import { connectKafka, KAFKA_FLAGS, kafkaDefaults, kafkaFromFlags, kafkaHelp } from "./kafka_config.ts";
import { createLog, logEvent } from "../common/log.ts";

const CLIENT_ID = "nxflow-efu";
const familyLines = () =>
  Object.values(FAMILIES).map((f) => `                             ${f.name}: ${f.summary}`).join("\n");
const HELP = `Usage: nxflow efu --detector FILE [options]

Receives ESS readout packets over UDP, forms neutron events (pixel id, time of flight) and publishes them as ev44
messages on Kafka. Each stage is an actor in its own Worker: reader → formation → serialiser → producer.

Options:
  --detector FILE          detector config (JSON): {"instrument", "family", "geometry": {...}, ...}; families:
${familyLines()}
  --host HOST              UDP address to listen on (default ${EFU_DEFAULTS.host})
  --port N                 UDP port (default ${EFU_DEFAULTS.port})
  --rxbuffer BYTES         kernel receive buffer of the UDP socket (default ${EFU_DEFAULTS.rxBuffer}; capped by
                           net.core.rmem_max, raise that for high rates)
  --topic NAME             ev44 topic (default <instrument>_detector)
  --status-topic NAME      x5f2 status topic (default <instrument>_status)
  --command-port N         TCP command API port (default ${EFU_DEFAULTS.commandPort}; 0 = any free port, -1 = off)
  --graphite HOST:PORT     send every counter to Carbon once a second (default off)
  --region N               Graphite region (default 0)
  --max-events N           events per ev44 message (default ${EFU_DEFAULTS.maxEvents})
  --flush-ms N             produce a partly filled message after this long (default ${EFU_DEFAULTS.flushMs})
  --status-interval-ms N   x5f2 status period (default ${EFU_DEFAULTS.statusIntervalMs})
  --monitor-every N        send raw datagrams to the samples topic (ar51): --monitor-consecutive of every N
                           (default ${EFU_DEFAULTS.monitorEvery}; 0 = off)
  --monitor-consecutive N  (default ${EFU_DEFAULTS.monitorConsecutive})
  --samples-topic NAME     ar51 samples topic (default <topic>_samples)
  --stop-after SECONDS     stop by itself after this long (default: run until SIGINT/SIGTERM or EXIT)

${kafkaHelp(CLIENT_ID)}

Counters (STAT_GET_NAME efu.<instrument>.0.receive.packets over the command API, or in the x5f2 status):
  receive.*, parser.essheader.*, parser.readout.*, geometry.*, events.*, produce.*

Example:
  nxflow efu --detector bifrost.json --port 9000 --brokers 127.0.0.1:9092 --command-port 8888`;

function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...Object.fromEntries(
        [
          "detector",
          "host",
          "port",
          "rxbuffer",
          "topic",
          "status-topic",
          "command-port",
          "graphite",
          "region",
          "max-events",
          "flush-ms",
          "status-interval-ms",
          "monitor-every",
          "monitor-consecutive",
          "samples-topic",
          "stop-after",
        ].map((k) => [k, { type: "string" as const }]),
      ),
      ...KAFKA_FLAGS,
    },
  });
  const v = values as Record<string, string | undefined>;
  if (!v.detector) throw new UsageError("--detector is required");
  const kafka = kafkaFromFlags(values, kafkaDefaults(CLIENT_ID));
  const section: Record<string, unknown> = {
    detector: v.detector,
    host: v.host,
    port: num("port", v.port),
    rxBuffer: num("rxbuffer", v.rxbuffer),
    topic: v.topic,
    statusTopic: v["status-topic"],
    commandPort: num("command-port", v["command-port"]),
    graphite: v.graphite,
    region: num("region", v.region),
    maxEvents: num("max-events", v["max-events"]),
    flushMs: num("flush-ms", v["flush-ms"]),
    statusIntervalMs: num("status-interval-ms", v["status-interval-ms"]),
    monitorEvery: num("monitor-every", v["monitor-every"]),
    monitorConsecutive: num("monitor-consecutive", v["monitor-consecutive"]),
    samplesTopic: v["samples-topic"],
  };
  for (const k of Object.keys(section)) if (section[k] === undefined) delete section[k];
  let config: EfuConfig;
  try {
    config = checkEfuConfig(section, "nxflow efu");
  } catch (error) {
    console.error(`nxflow efu: ${(error as Error).message}`);
    return EXIT_CODES.usage;
  }
  let connection: ConnectionOptions;
  try {
    connection = await connectKafka(kafka, (line) => console.error(`nxflow efu: ${line}`));
    await ensureTopics(config, connection);
  } catch (error) {
    console.error(`nxflow efu: ${(error as Error).message}`);
    return 1;
  }
  const stopAfter = num("stop-after", v["stop-after"]);
  const log = createLog("text");
  const system = await ActorSystem.start(
    { id: "root", strategy: "oneForOne", intensity: 3, periodMs: 10_000, children: [efuTree(config, connection)] },
    { onEvent: (e) => logEvent(log, e) },
  );
  log("info", "efu", `receiving ${config.detectorConfig.family} readouts on udp ${config.host}:${config.port}`, {
    topic: config.topic,
    statusTopic: config.statusTopic,
  });
  let exit: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (exit = resolve));
  for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => exit(sig));
  const timer = stopAfter === undefined ? undefined : setTimeout(() => exit("--stop-after"), stopAfter * 1000);
  const control = startControl(system, config, log, () => exit("EXIT command"));
  const reason = await stopped;
  clearTimeout(timer);
  log("info", "efu", `${reason}: stopping`);
  control.stop();
  const clean = await system.stop();
  return clean ? 0 : 1;
}

/** The `efu` command. */
export const efuCommand: Command = {
  name: "efu",
  summary: "event formation unit: ESS readout over UDP → ev44 on Kafka",
  help: HELP,
  run,
};
