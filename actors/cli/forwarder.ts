/**
 * `nxflow forwarder`: runs the EPICS forwarder (`actors/forwarder/`) with ESS forwarder style options until SIGINT
 * or SIGTERM, optionally sending its stats to Graphite (`--graphite`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ConfigProtocol, SerialiserProtocol } from "../../protocols/forwarder.ts";
import { graphiteAddress } from "../common/graphite.ts";
import { forwarderConfig } from "../forwarder/options.ts";
import { forwarderGraphite } from "../forwarder/role.ts";
import { forwarderTree } from "../forwarder/tree.ts";
import { ActorSystem } from "../runtime/mod.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { type Command, UsageError } from "./command.ts";
import { connectKafka, KAFKA_FLAGS, kafkaDefaults, kafkaFromFlags, kafkaHelp } from "./kafka_config.ts";
import { createLog, logEvent } from "../common/log.ts";
import { VERSION } from "../common/version.ts";

const CLIENT_ID = "nxflow-forwarder";
const HELP = `Usage: nxflow forwarder --config-topic [HOST:PORT/]TOPIC --status-topic [HOST:PORT/]TOPIC
                         [--brokers HOST:PORT,... | --output-broker HOST:PORT] [options]

Forwards EPICS PVs (pvAccess, in TypeScript; Channel Access via Debian's libca: apt-get install libca4.13.5) to
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
  --ca-addr-list LIST      EPICS_CA_ADDR_LIST: where to search for PVs (default 127.0.0.1; no broadcast)
  --ca-server-port N       EPICS_CA_SERVER_PORT (default 5064)
  --pva-addr-list LIST     EPICS_PVA_ADDR_LIST: host[:port] to send PVA searches to (default: $EPICS_PVA_ADDR_LIST,
                           else 127.0.0.1; no broadcast unless a broadcast address is listed)
  --pva-broadcast-port N   EPICS_PVA_BROADCAST_PORT: search port of list entries without one (default 5076)
  --groups N               PV monitor groups, each a Worker (with a libca child process once it has a CA PV)
                           (default 4)
  --graphite HOST:PORT     send the serialiser's and config's stats to Carbon every 10 s as
                           nxflow.forwarder.<service id>.<actor>.<counter> (default off)
  --log-format text|json   (default text)

${kafkaHelp(CLIENT_ID, ["--output-broker HOST:PORT  the same as --brokers (ESS forwarder's name)"])}
The Kafka of the options carries the data and the config, status and storage topics.

Example:
  nxflow forwarder --output-broker localhost:9092 --config-topic forwarder_config \\
    --status-topic forwarder_status --storage-topic forwarder_storage --pv-update-period 10000 \\
    --pva-addr-list "10.0.0.5 10.0.0.6:5076" --ca-addr-list "10.0.0.7"`;

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${name} must be a number, got "${value}"`);
  return n;
}

/** Bad option values found while checking the configuration are usage errors (exit code 2, with the help). */
function checked<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...KAFKA_FLAGS,
      "output-broker": { type: "string" },
      "config-topic": { type: "string" },
      "status-topic": { type: "string" },
      "storage-topic": { type: "string" },
      "skip-retrieval": { type: "boolean" },
      "pv-update-period": { type: "string" },
      "service-id": { type: "string" },
      streams: { type: "string" },
      "ca-addr-list": { type: "string" },
      "ca-server-port": { type: "string" },
      "pva-addr-list": { type: "string" },
      "pva-broadcast-port": { type: "string" },
      groups: { type: "string" },
      graphite: { type: "string" },
      "log-format": { type: "string", default: "text" },
    },
  });
  for (const required of ["config-topic", "status-topic"] as const) {
    if (!values[required]) throw new UsageError(`--${required} is required`);
  }
  if (values["log-format"] !== "text" && values["log-format"] !== "json") {
    throw new UsageError("--log-format must be text or json");
  }
  const log = createLog(values["log-format"]);
  const kafka = kafkaFromFlags(values, kafkaDefaults(CLIENT_ID), ["output-broker"]);
  const streamsJson = values.streams ? await Deno.readTextFile(values.streams) : undefined;
  const config = checked(() =>
    forwarderConfig({
      configTopic: values["config-topic"]!,
      statusTopic: values["status-topic"]!,
      brokers: kafka.brokers,
      storageTopic: values["storage-topic"],
      skipRetrieval: values["skip-retrieval"],
      pvUpdatePeriodMs: numberOption(values["pv-update-period"], "--pv-update-period"),
      serviceId: values["service-id"],
      caAddrList: values["ca-addr-list"],
      caServerPort: numberOption(values["ca-server-port"], "--ca-server-port"),
      pvaAddrList: values["pva-addr-list"] ?? (Deno.env.get("EPICS_PVA_ADDR_LIST") || undefined),
      pvaBroadcastPort: numberOption(values["pva-broadcast-port"], "--pva-broadcast-port"),
      groups: numberOption(values.groups, "--groups"),
      streamsJson,
      version: VERSION,
    })
  );
  if (values.graphite) checked(() => graphiteAddress(values.graphite!, "--graphite"));
  let connection: ConnectionOptions;
  try {
    connection = await connectKafka(kafka, (line) => log("info", "kafka", line));
  } catch (error) {
    log("error", "forwarder", `cannot start: ${(error as Error).message}`);
    return 1;
  }
  let fatal: string | null = null;
  let stop = () => {};
  const system = await ActorSystem.start(forwarderTree({ ...config, kafka: connection }), {
    onFatal: (reason) => {
      fatal = reason;
      stop();
    },
  });
  system.onEvent((e) => logEvent(log, e));
  for (const id of ["config", "serialiser"]) {
    system.ref<ConfigProtocol | SerialiserProtocol>(id).onEmit((m) => log(m.level, `forwarder/${id}`, m.message));
  }
  const graphite = values.graphite ? forwarderGraphite(system, values.graphite, config.serviceId, log) : null;
  log("info", "forwarder", `running: ${config.groups} monitor groups, CA address list "${config.ca.addrList}"`);
  await new Promise<void>((resolve) => {
    stop = resolve;
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
  });
  graphite?.stop();
  await system.stop();
  if (fatal) log("error", "forwarder", `gave up: ${fatal}`);
  return fatal ? 3 : 0;
}

/** The `forwarder` command. */
export const forwarderCommand: Command = {
  name: "forwarder",
  summary: "forward EPICS PVs (Channel Access) to Kafka as ESS forwarder does",
  help: HELP,
  run,
};
