/**
 * `nxflow forwarder`: runs the EPICS forwarder (`actors/forwarder/`) alone, the `forwarder` role of `nxflow start`
 * with its settings from ESS forwarder style options (over `roles.forwarder` of `--config`), until SIGINT or SIGTERM,
 * optionally sending its stats to Graphite (`--graphite`). Signals, exit codes and the Kafka connection are `nxflow
 * start`'s.
 *
 * @module
 */
import { topicOf } from "../forwarder/options.ts";
import { type Command, UsageError } from "./command.ts";
import { kafkaHelp } from "./kafka_config.ts";
import { runStart } from "./start.ts";

const CLIENT_ID = "nxflow-forwarder";
const HELP = `Usage: nxflow forwarder --config-topic [HOST:PORT/]TOPIC --status-topic [HOST:PORT/]TOPIC
                         [--brokers HOST:PORT,... | --output-broker HOST:PORT] [options]

Forwards EPICS PVs (pvAccess and Channel Access, both in TypeScript: no native library) to
Kafka as f144/f142/tdct (PVA NTTables as se00/senv) with al00 and ep01, configured by fc00 messages on the config
topic (ADD, REMOVE with ? and * wildcards, REMOVEALL, REPLACE) and by a streams file. Status (x5f2) goes to the
status topic every 4 s and after changes.

Options:
  --config-topic ADDR      fc00 commands (the broker part, if given, must be one of --brokers)
  --status-topic ADDR      x5f2 status
  --storage-topic ADDR     the stream set is stored here after every change and restored at start-up
  --skip-retrieval         do not restore from the storage topic
  --pv-update-period MS    re-send the last value of streams marked periodic at this period
  --service-id ID          in status and ep01 (default nxflow-forwarder-<pid>)
  --streams FILE           JSON list of {"channel","schema","topic","protocol":"PVA","periodic":0}
                           (protocol PVA or CA; PVA when absent, as in fc00)
  --ca-addr-list LIST      EPICS_CA_ADDR_LIST: host[:port] to send CA searches to (default 127.0.0.1; no
                           automatic broadcast)
  --ca-server-port N       EPICS_CA_SERVER_PORT: search port of list entries without one (default 5064)
  --pva-addr-list LIST     EPICS_PVA_ADDR_LIST: host[:port] to send PVA searches to (default: $EPICS_PVA_ADDR_LIST,
                           else 127.0.0.1; no broadcast unless a broadcast address is listed)
  --pva-broadcast-port N   EPICS_PVA_BROADCAST_PORT: search port of list entries without one (default 5076)
  --groups N               PV monitor groups, each a Worker (default 4)
  --graphite HOST:PORT     send the serialiser's and config's stats to Carbon every 10 s as
                           nxflow.forwarder.<service id>.<actor>.<counter> (default off)
  --log-format text|json   (default text)
  --config FILE            a configuration file whose roles.forwarder section is the base for the options above
  --admin-port N  --no-admin  --admin-host HOST  --enable-fault-injection   as for nxflow start (default: no admin)

${kafkaHelp(CLIENT_ID, ["--output-broker HOST:PORT  the same as --brokers (ESS forwarder's name)"])}
The Kafka of the options carries the data and the config, status and storage topics.

Example:
  nxflow forwarder --output-broker localhost:9092 --config-topic forwarder_config \\
    --status-topic forwarder_status --storage-topic forwarder_storage --pv-update-period 10000 \\
    --pva-addr-list "10.0.0.5 10.0.0.6:5076" --ca-addr-list "10.0.0.7"`;

const TEXT = { type: "string" } as const;
/** Each flag and its field in the forwarder's settings (`roles.forwarder`): text, a number, or an ESS topic address. */
const FIELDS: Record<string, [field: string, kind: "text" | "number" | "topic"]> = {
  "config-topic": ["configTopic", "topic"],
  "status-topic": ["statusTopic", "topic"],
  "storage-topic": ["storageTopic", "topic"],
  "pv-update-period": ["pvUpdatePeriodMs", "number"],
  "service-id": ["serviceId", "text"],
  streams: ["streams", "text"],
  "ca-addr-list": ["caAddrList", "text"],
  "ca-server-port": ["caServerPort", "number"],
  "pva-addr-list": ["pvaAddrList", "text"],
  "pva-broadcast-port": ["pvaBroadcastPort", "number"],
  groups: ["groups", "number"],
  graphite: ["graphite", "text"],
};

/** The forwarder's section from the flags given; without `--config`, no storage topic unless one is named. */
function section(values: Record<string, unknown>): Record<string, unknown> {
  const text = (flag: string) => values[flag] as string | undefined;
  if (!values.config) {
    for (const required of ["config-topic", "status-topic"]) {
      if (!text(required)) throw new UsageError(`--${required} is required`);
    }
  }
  const brokers = (text("brokers") ?? text("output-broker") ?? "").split(",").map((b) => b.trim()).filter(Boolean);
  const out: Record<string, unknown> = values.config ? {} : { storageTopic: "" };
  for (const [flag, [field, kind]] of Object.entries(FIELDS)) {
    const value = text(flag);
    if (value === undefined) continue;
    if (kind === "number" && !Number.isFinite(Number(value))) {
      throw new UsageError(`--${flag} must be a number, got "${value}"`);
    }
    out[field] = kind === "number" ? Number(value) : kind === "topic" ? topicOf(value, brokers, `--${flag}`) : value;
  }
  if (values["skip-retrieval"]) out.skipRetrieval = true;
  const pvaEnv = Deno.env.get("EPICS_PVA_ADDR_LIST");
  if (out.pvaAddrList === undefined && pvaEnv) out.pvaAddrList = pvaEnv;
  return out;
}

/** The `forwarder` command. */
export const forwarderCommand: Command = {
  name: "forwarder",
  summary: "forward EPICS PVs (Channel Access) to Kafka as ESS forwarder does",
  help: HELP,
  run: (args) =>
    runStart(args, {
      role: "forwarder",
      clientId: CLIENT_ID,
      brokerAliases: ["output-broker"],
      adminByDefault: false,
      flags: {
        ...Object.fromEntries(Object.keys(FIELDS).map((flag) => [flag, TEXT])),
        "skip-retrieval": { type: "boolean" },
        "output-broker": TEXT,
      },
      section,
    }),
};
