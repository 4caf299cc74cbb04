/**
 * `nxflow kafka <install|start|stop|status>`: the local Apache Kafka's commands
 * (`actors/common/local_kafka/main.ts`, also `deno task kafka` in a checkout), for a release or the compiled binary
 * where there is no `deno task`.
 *
 * @module
 */
import { HELP, main } from "../common/local_kafka/main.ts";
import type { Command } from "./command.ts";

/** The `kafka` command. */
export const kafkaCommand: Command = {
  name: "kafka",
  summary: "the local Apache Kafka: install, start, stop, status",
  help: HELP,
  run: (args) => main(args),
};
