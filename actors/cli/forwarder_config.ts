/**
 * `nxflow forwarder-config`: sends one fc00 command to a forwarder's config topic (nxflow's or ESS's forwarder).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { CommandSenderProtocol } from "../../protocols/forwarder.ts";
import { fc00 } from "../../schemas/mod.ts";
import { CA_SCHEMAS } from "../forwarder/streams.ts";
import { ActorSystem } from "../runtime/mod.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { type Command, UsageError } from "./command.ts";
import { connectKafka, KAFKA_FLAGS, kafkaDefaults, kafkaFromFlags, kafkaHelp } from "./kafka_config.ts";

const CLIENT_ID = "nxflow-forwarder-config";
const HELP = `Usage: nxflow forwarder-config add|remove|removeall|replace --topic CONFIG_TOPIC [--brokers HOST:PORT,...]
                                [--channel PV] [--schema ID] [--output-topic TOPIC] [--protocol CA] [--periodic]

Sends one fc00 configuration change (ESS forwarder's format) to the config topic:
  add        forward --channel as --schema to --output-topic (all three required)
  remove     stop the streams matching --channel/--output-topic (? and * wildcards) and --schema
  removeall  stop every stream
  replace    remove all, then add the one stream given

Options:
  --topic TOPIC          its config topic
  --channel PV           EPICS PV name
  --schema ID            ${CA_SCHEMAS.join(", ")}
  --output-topic TOPIC   where the PV's messages go
  --protocol CA          CA (default) or PVA (nxflow's forwarder rejects PVA)
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
      protocol: { type: "string", default: "CA" },
      periodic: { type: "boolean", default: false },
    },
  });
  const change = CHANGES[positionals[0] as keyof typeof CHANGES];
  if (!change || positionals.length !== 1) throw new UsageError("give one of add, remove, removeall, replace");
  const kafka = kafkaFromFlags(values, kafkaDefaults(CLIENT_ID), ["broker"]);
  if (!values.topic) throw new UsageError("--topic is required");
  if (values.protocol !== "CA" && values.protocol !== "PVA") throw new UsageError("--protocol must be CA or PVA");
  const stream = {
    channel: values.channel,
    schema: values.schema,
    topic: values["output-topic"],
    protocol: values.protocol as "CA" | "PVA",
    periodic: values.periodic ? 1 : 0,
  };
  if ((change === "ADD" || change === "REPLACE") && !(stream.channel && stream.schema && stream.topic)) {
    throw new UsageError(`${positionals[0]} needs --channel, --schema and --output-topic`);
  }
  if (change === "REMOVE" && !(stream.channel || stream.schema || stream.topic)) {
    throw new UsageError("remove needs at least one of --channel, --schema, --output-topic");
  }
  const value = fc00.encode({ config_change: change, streams: change === "REMOVEALL" ? [] : [stream] });
  let connection: ConnectionOptions;
  try {
    connection = await connectKafka(kafka, (line) => console.error(`nxflow forwarder-config: ${line}`));
  } catch (error) {
    console.error(`nxflow forwarder-config: ${(error as Error).message}`);
    return 1;
  }
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

/** The `forwarder-config` command. */
export const forwarderConfigCommand: Command = {
  name: "forwarder-config",
  summary: "send an fc00 change (add, remove, removeall, replace) to a forwarder's config topic",
  help: HELP,
  run,
};
