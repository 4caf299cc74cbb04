/**
 * `nxflow histogrammer`: runs the histogrammer role alone, with just-bin-it's topic option names, until SIGINT or
 * SIGTERM. The same as `nxflow start` with only `roles.histogrammer` enabled; the configuration file (`--config`)
 * may hold its settings in `roles.histogrammer`, and the flags override them.
 *
 * With `--send JSON` it is a client instead: it sends one command to the config topic and prints the response.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import type { ClientProtocol } from "../../protocols/histogrammer.ts";
import { causeOf } from "../broker/admin.ts";
import type { ConsumerConfig } from "../broker/consumer.ts";
import type { ProducerConfig } from "../broker/producer.ts";
import type { SupervisorSpec } from "../runtime/child_spec.ts";
import { ActorSystem } from "../runtime/system.ts";
import { HISTOGRAMMER_DEFAULTS as d, HISTOGRAMMER_FLAGS, histogrammerFlagsToSection } from "../histogrammer/role.ts";
import { type Command, UsageError } from "./command.ts";
import { checkKafkaSection, connectKafka, KAFKA_DEFAULTS } from "./kafka_config.ts";
import { runStart } from "./start.ts";

const HELP = `Usage: nxflow histogrammer [options]

Live histograms of neutron events, driven like ESS just-bin-it: JSON commands on the config topic start, reset and
stop histograms of ev44/ev42 event topics, published as hs01 (default), hs00 or da00 every publish interval and once
more when they finish. Commands (see README, "Histogrammer"):
  {"cmd": "config", "msg_id": "1", "start": MS, "stop": MS | "interval": S,
   "input_schema": "ev44"|"ev42", "output_schema": "hs01"|"hs00"|"da00", "histograms": [
     {"type": "hist1d", "data_brokers": ["host:9092"], "data_topics": ["det_events"], "topic": "det_hist",
      "tof_range": [0, 100000000], "num_bins": 50, "det_range": [1, 4096], "source": "det", "id": "h1"},
     {"type": "hist2d", ..., "tof_range": [LO, HI], "det_range": [LO, HI], "num_bins": [NTOF, NDET]},
     {"type": "dethist", ..., "det_range": [FIRST_ID, LAST], "width": W, "height": H},
     {"type": "roihist", ..., "left_edges": [ID, ...], "width": W}]}
  {"cmd": "reset_counts"}    {"cmd": "stop"}
A new config finishes the histograms of the previous one. Commands with a msg_id are answered on the response
topic: {"msg_id": ..., "response": "ACK"} or {"msg_id": ..., "response": "ERR", "message": ...}. A crashed
histogram actor reads its window again from Kafka, so its counts stay exact.

Histogrammer options (defaults in brackets):
  --config-topic T            JSON commands, read from the end [${d.configTopic}]
  --response-topic T          ACK/ERR responses; "" for none [${d.responseTopic}]
  --hb-topic T                x5f2 heartbeats; "" for none [${d.hbTopic}]
  --heartbeat-interval-ms N   heartbeat period [${d.heartbeatIntervalMs}]
  --publish-interval-ms N     histogram publishing period [${d.publishIntervalMs}]
  --service-id ID             x5f2 service_id [${d.serviceId}]

Kafka and process options (as for nxflow start):
  --config FILE               configuration file; its roles.histogrammer section is the base for the flags above
  --brokers HOST:PORT,...     default: the configuration's, else a local Kafka that nxflow starts
  --client-id ID  --sasl MECHANISM  --sasl-username NAME  --sasl-password-file FILE
  --tls  --tls-ca-file FILE  --tls-cert-file FILE  --tls-key-file FILE
  --admin-port N  --no-admin  --admin-host HOST  --enable-fault-injection  --log-format text|json

Client mode: send one command and print the response (a msg_id is added when the command has none):
  --send JSON                 the command; with --brokers, --config-topic and --response-topic as above
  --timeout-ms N              give up waiting for the response after this long [10000]
  Exit codes: 0 ACK, 1 ERR, 3 no response.

Examples:
  nxflow histogrammer --brokers kafka1:9092 --config-topic loki_hist_commands --response-topic loki_hist_responses
  nxflow histogrammer --brokers kafka1:9092 --send '{"cmd": "stop"}'`;

/** The `histogrammer` command. */
export const histogrammerCommand: Command = {
  name: "histogrammer",
  summary: "live histograms driven by just-bin-it's JSON commands (hs01/hs00/da00)",
  help: HELP,
  run: (args) =>
    args.some((a) => a === "--send" || a.startsWith("--send="))
      ? send(args)
      : runStart(args, { role: "histogrammer", flags: HISTOGRAMMER_FLAGS, section: histogrammerFlagsToSection }),
};

/** Client mode: sends one command to the config topic and waits for its response. */
async function send(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      send: { type: "string" },
      brokers: { type: "string" },
      "config-topic": { type: "string", default: d.configTopic },
      "response-topic": { type: "string", default: d.responseTopic },
      "timeout-ms": { type: "string", default: "10000" },
    },
  });
  let command: Record<string, unknown>;
  try {
    command = JSON.parse(values.send!);
  } catch (error) {
    throw new UsageError(`--send must be a JSON command: ${(error as Error).message}`);
  }
  if (!command || typeof command !== "object" || Array.isArray(command)) {
    throw new UsageError("--send must be a JSON object");
  }
  const timeoutMs = Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError("--timeout-ms takes whole milliseconds");
  const kafka = { ...KAFKA_DEFAULTS, clientId: "nxflow-histogrammer-client" };
  if (values.brokers) kafka.brokers = values.brokers.split(",").map((b) => b.trim()).filter(Boolean);
  const msgId = String(command.msg_id ?? crypto.randomUUID());
  const text = JSON.stringify({ ...command, msg_id: msgId });
  try {
    const connection = await connectKafka(checkKafkaSection(kafka, "the command line"), (line) => {
      console.error(`nxflow histogrammer: ${line}`);
    });
    const system = await ActorSystem.start(clientTree(connection, values["response-topic"]!, Date.now()));
    try {
      const client = system.ref<ClientProtocol>("client");
      const sent = await client.request("send", { topic: values["config-topic"]!, text }, { timeoutMs });
      if (sent.error) throw new Error(`cannot send to ${values["config-topic"]}: ${sent.error}`);
      console.log(`sent to ${values["config-topic"]}: ${text}`);
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        for (const t of await client.request("responses", null)) {
          const r = parseResponse(t);
          if (r?.msg_id !== msgId) continue;
          console.log(`${r.response}${r.message ? `: ${r.message}` : ""}`);
          return r.response === "ACK" ? 0 : 1;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      console.error(
        `nxflow histogrammer: no response on ${values["response-topic"]} within ${timeoutMs} ms: ` +
          `is a histogrammer reading ${values["config-topic"]}?`,
      );
      return 3;
    } finally {
      await system.stop();
    }
  } catch (error) {
    console.error(`nxflow histogrammer: ${causeOf(error)}`);
    return 1;
  }
}

function parseResponse(text: string): { msg_id?: unknown; response?: string; message?: string } | null {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The client's actors: a producer, a consumer of the response topic from `fromMs`, and the client between them. */
function clientTree(connection: ConnectionOptions, responseTopic: string, fromMs: number): SupervisorSpec {
  const broker = new URL("../broker/", import.meta.url);
  return {
    id: "root",
    children: [
      { id: "producer", module: new URL("producer.ts", broker), config: { connection } satisfies ProducerConfig },
      {
        id: "responses",
        module: new URL("consumer.ts", broker),
        config: {
          connection,
          topics: [{ topic: responseTopic }],
          start: { timestampMs: fromMs },
        } satisfies ConsumerConfig,
      },
      { id: "client", module: new URL("../histogrammer/client.ts", import.meta.url) },
    ],
    channels: [
      { name: "records", between: ["client", "producer"] },
      { name: "batches", between: ["responses", "client"] },
    ],
  };
}
