/**
 * `nxflow efu`: runs the event formation unit alone, the `efu` role of `nxflow start` with its settings from the
 * command line (over `roles.efu` of `--config`): ESS readout over UDP → ev44 on Kafka, with the command API, x5f2
 * status and optional Graphite. Signals, exit codes and the Kafka connection are `nxflow start`'s.
 *
 * @module
 */
import { FAMILIES } from "../efu/families/registry.ts";
import { EFU_DEFAULTS } from "../efu/role.ts";
import { type Command, UsageError } from "./command.ts";
import { kafkaHelp } from "./kafka_config.ts";
import { runStart } from "./start.ts";

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

function num(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

const TEXT = { type: "string" } as const;
/** Each flag and its field in the EFU's settings (`roles.efu`), numbers marked. */
const FIELDS: Record<string, [field: string, numeric: boolean]> = {
  detector: ["detector", false],
  host: ["host", false],
  port: ["port", true],
  rxbuffer: ["rxBuffer", true],
  topic: ["topic", false],
  "status-topic": ["statusTopic", false],
  "command-port": ["commandPort", true],
  graphite: ["graphite", false],
  region: ["region", true],
  "max-events": ["maxEvents", true],
  "flush-ms": ["flushMs", true],
  "status-interval-ms": ["statusIntervalMs", true],
  "monitor-every": ["monitorEvery", true],
  "monitor-consecutive": ["monitorConsecutive", true],
  "samples-topic": ["samplesTopic", false],
};

/** The EFU's section from the flags given. */
function section(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, [field, numeric]] of Object.entries(FIELDS)) {
    if (values[flag] !== undefined) out[field] = numeric ? num(flag, values[flag]) : values[flag];
  }
  if (!values.detector && !values.config) throw new UsageError("--detector is required");
  return out;
}

/** The `efu` command. */
export const efuCommand: Command = {
  name: "efu",
  summary: "event formation unit: ESS readout over UDP → ev44 on Kafka",
  help: HELP,
  run: (args) =>
    runStart(args, {
      role: "efu",
      clientId: CLIENT_ID,
      flags: { ...Object.fromEntries(Object.keys(FIELDS).map((flag) => [flag, TEXT])), "stop-after": TEXT },
      section,
      adminByDefault: false,
      stopAfter: (values) => num("stop-after", values["stop-after"]),
    }),
};
