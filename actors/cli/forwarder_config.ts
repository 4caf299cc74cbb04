/**
 * `nxflow forwarder-config`: sends one fc00 command to a forwarder's config topic (nxflow's or ESS's forwarder), or
 * lists the streams stored on its storage topic (`list`, as a table or JSON).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { CommandSenderProtocol, StorageReaderProtocol, Stream } from "../../protocols/forwarder.ts";
import { fc00 } from "../../schemas/mod.ts";
import { PVA_SCHEMAS } from "../forwarder/streams.ts";
import { ActorSystem } from "../runtime/mod.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { type Command, UsageError } from "./command.ts";
import {
  connectKafka,
  KAFKA_FLAGS,
  kafkaDefaults,
  kafkaFromFlags,
  kafkaHelp,
  type KafkaSection,
} from "./kafka_config.ts";

const CLIENT_ID = "nxflow-forwarder-config";
const HELP = `Usage: nxflow forwarder-config add|remove|removeall|replace --topic CONFIG_TOPIC [--brokers HOST:PORT,...]
                                [--channel PV] [--schema ID] [--output-topic TOPIC] [--protocol pva|ca] [--periodic]
       nxflow forwarder-config list --storage-topic STORAGE_TOPIC [--brokers HOST:PORT,...] [--json]

Sends one fc00 configuration change (ESS forwarder's format) to the config topic:
  add        forward --channel as --schema to --output-topic (all three required)
  remove     stop the streams matching --channel/--output-topic (? and * wildcards) and --schema
  removeall  stop every stream
  replace    remove all, then add the one stream given
or lists the streams a forwarder stored on its storage topic (the last fc00 there):
  list       as a table, or as JSON with --json

Options:
  --topic TOPIC          its config topic
  --channel PV           EPICS PV name
  --schema ID            ${PVA_SCHEMAS.join(", ")} (the nttable ones for PVA only)
  --output-topic TOPIC   where the PV's messages go
  --protocol pva|ca      pvAccess (default, as in ESS's fc00) or Channel Access
  --storage-topic TOPIC  (list) the forwarder's storage topic
  --json                 (list) print JSON instead of a table
  --periodic             re-send the last value at the forwarder's --pv-update-period

${kafkaHelp(CLIENT_ID, ["--broker HOST:PORT         the same as --brokers (the older name)"])}

Example:
  nxflow forwarder-config add --brokers localhost:9092 --topic forwarder_config \\
    --channel SIMPLE:DOUBLE --schema f144 --output-topic motion`;

const CHANGES = { add: "ADD", remove: "REMOVE", removeall: "REMOVEALL", replace: "REPLACE" } as const;

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...KAFKA_FLAGS,
      broker: { type: "string" },
      topic: { type: "string" },
      channel: { type: "string" },
      schema: { type: "string" },
      "output-topic": { type: "string" },
      protocol: { type: "string", default: "PVA" },
      periodic: { type: "boolean", default: false },
      "storage-topic": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const kafka = kafkaFromFlags(values, kafkaDefaults(CLIENT_ID), ["broker"]);
  if (positionals[0] === "list" && positionals.length === 1) {
    if (!values["storage-topic"]) throw new UsageError("list needs --storage-topic");
    return await list(kafka, values["storage-topic"], values.json);
  }
  const change = CHANGES[positionals[0] as keyof typeof CHANGES];
  if (!change || positionals.length !== 1) throw new UsageError("give one of add, remove, removeall, replace, list");
  if (!values.topic) throw new UsageError("--topic is required");
  const protocol = values.protocol.toUpperCase();
  if (protocol !== "CA" && protocol !== "PVA") throw new UsageError("--protocol must be pva or ca");
  const stream = {
    channel: values.channel,
    schema: values.schema,
    topic: values["output-topic"],
    protocol: protocol as "CA" | "PVA",
    periodic: values.periodic ? 1 : 0,
  };
  if ((change === "ADD" || change === "REPLACE") && !(stream.channel && stream.schema && stream.topic)) {
    throw new UsageError(`${positionals[0]} needs --channel, --schema and --output-topic`);
  }
  if (change === "REMOVE" && !(stream.channel || stream.schema || stream.topic)) {
    throw new UsageError("remove needs at least one of --channel, --schema, --output-topic");
  }
  const value = fc00.encode({ config_change: change, streams: change === "REMOVEALL" ? [] : [stream] });
  const connection = await connect(kafka);
  if (!connection) return 1;
  const system = await ActorSystem.start({
    id: "forwarder-config",
    children: [
      { id: "producer", module: new URL("../broker/producer.ts", import.meta.url), config: { connection } },
      { id: "sender", module: new URL("../forwarder/command_sender.ts", import.meta.url) },
    ],
    channels: [{ name: "records", between: ["sender", "producer"] }],
  });
  try {
    await system.ref<CommandSenderProtocol>("sender").request("send", { topic: values.topic, value }, {
      timeoutMs: 30_000,
    });
    console.log(`nxflow forwarder-config: ${change} sent to ${connection.brokers.join(",")}/${values.topic}`);
    return 0;
  } catch (error) {
    console.error(`nxflow forwarder-config: ${(error as Error).message}`);
    return 1;
  } finally {
    await system.stop();
  }
}

/** The connection the Kafka options give, or null (said on stderr) when a secret file cannot be read. */
async function connect(kafka: KafkaSection): Promise<ConnectionOptions | null> {
  try {
    return await connectKafka(kafka, (line) => console.error(`nxflow forwarder-config: ${line}`));
  } catch (error) {
    console.error(`nxflow forwarder-config: ${(error as Error).message}`);
    return null;
  }
}

/** Prints the streams on `topic` (partition 0's last fc00) as a table or JSON; 1 when the topic holds none. */
async function list(kafka: KafkaSection, topic: string, json: boolean): Promise<number> {
  const connection = await connect(kafka);
  if (!connection) return 1;
  const system = await ActorSystem.start({
    id: "forwarder-config",
    children: [
      {
        id: "consumer",
        module: new URL("../broker/consumer.ts", import.meta.url),
        config: { connection, topics: [{ topic, partitions: [0] }], start: "beginning" },
      },
      { id: "reader", module: new URL("../forwarder/storage_reader.ts", import.meta.url) },
    ],
    channels: [{ name: "batches", between: ["consumer", "reader"] }],
  });
  try {
    const stored = await system.ref<StorageReaderProtocol>("reader").request("list", null, { timeoutMs: 30_000 });
    if (json) console.log(JSON.stringify(stored.streams ?? [], null, 2));
    else console.log(table(stored.streams ?? []));
    if (stored.streams === null) {
      console.error(`nxflow forwarder-config: no fc00 on ${connection.brokers.join(",")}/${topic}`);
    }
    for (const reason of stored.skipped) console.error(`nxflow forwarder-config: stored stream skipped: ${reason}`);
    return stored.streams === null ? 1 : 0;
  } catch (error) {
    console.error(`nxflow forwarder-config: ${(error as Error).message}`);
    return 1;
  } finally {
    await system.stop();
  }
}

function table(streams: Stream[]): string {
  const rows = [["CHANNEL", "PROTOCOL", "SCHEMA", "TOPIC", "PERIODIC"]].concat(
    streams.map((s) => [s.channel, s.protocol, s.schema, s.topic, s.periodic ? "yes" : "no"]),
  );
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/** The `forwarder-config` command. */
export const forwarderConfigCommand: Command = {
  name: "forwarder-config",
  summary: "send an fc00 change (add, remove, removeall, replace) to a forwarder's config topic, or list its streams",
  help: HELP,
  run,
};
