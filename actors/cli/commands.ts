/**
 * Every `nxflow` subcommand, registered in one place. Add a command by writing `actors/cli/<name>.ts` (or a role's
 * own module) that exports a `Command`, and adding it here. A command that talks to Kafka takes `KAFKA_FLAGS`, reads
 * them with `kafkaFromFlags` and lists `kafkaHelp(...)` in its help, all from `kafka_config.ts`.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { chaos } from "./chaos.ts";
import { efuCommand } from "./efu.ts";
import { encode } from "./encode.ts";
import { forwarderCommand } from "./forwarder.ts";
import { forwarderConfigCommand } from "./forwarder_config.ts";
import { histogrammerCommand } from "./histogrammer.ts";
import { inspect } from "./inspect.ts";
import { jobCommand } from "./job.ts";
import { kafkaCommand } from "./kafka.ts";
import { readoutGen } from "./readout_gen.ts";
import { runCommand } from "./run.ts";
import { simCommand } from "./sim.ts";
import { start } from "./start.ts";
import { writerCommand } from "./writer.ts";

/** The subcommands, in the order `nxflow --help` lists them. */
export const COMMANDS: readonly Command[] = [
  start,
  chaos,
  inspect,
  encode,
  efuCommand,
  readoutGen,
  forwarderCommand,
  forwarderConfigCommand,
  jobCommand,
  runCommand,
  writerCommand,
  simCommand,
  histogrammerCommand,
  kafkaCommand,
];
