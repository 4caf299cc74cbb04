/**
 * `nxflow writer`: runs the file writer role alone, with kafka-to-nexus's option names, until SIGINT or SIGTERM.
 * The same as `nxflow start` with only `roles.writer` enabled; the configuration file (`--config`) may hold the
 * writer's settings in `roles.writer`, and the flags override them.
 *
 * @module
 */
import { flagsToSection, WRITER_DEFAULTS, WRITER_FLAGS, type WriterFlagValues } from "../writer/options.ts";
import type { Command } from "./command.ts";
import { kafkaHelp } from "./kafka_config.ts";
import { runStart } from "./start.ts";

const d = WRITER_DEFAULTS;
const HELP = `Usage: nxflow writer [options]

Writes NeXus (HDF5) files from Kafka, driven by run start (pl72) and stop (6s4t) commands, like ESS kafka-to-nexus:
idle writers share the job pool topic (one takes each job), report x5f2 status on the command topic, and while
writing use the job's control topic for the pl72 echo, answ replies, status and the final wrdn. Several jobs can
run at once (--max-jobs), each with its own file writer actor; a crashed file writer resumes from the checkpoint
in its file. Send jobs with "nxflow job start" (see README, "File writer").

Writer options (durations take ms, s, sec, m, min or h; defaults in brackets):
  --job-pool-topic T          pl72 run starts, shared by all writers [${d.jobPoolTopic}]
  --command-status-topic T    idle status and refused starts [${d.commandStatusTopic}]
  --hdf-output-prefix DIR     files are written under this existing folder [${d.hdfOutputPrefix}]
  --service-name NAME         service id NAME-pid:<pid>-<hex> [nxflow-writer:<host>-pid:<pid>-<hex>]
  --status-master-interval D  x5f2 status period [${d.statusMasterInterval}]
  --time-before-start D       data is read from start time minus this [${d.timeBeforeStart}]
  --time-after-stop D         leeway after the stop time before a partition ends [${d.timeAfterStop}]
  --data-flush-interval D     the file is flushed and checkpointed this often [${d.dataFlushInterval}]
  --max-jobs N                jobs written at once; 1 behaves like kafka-to-nexus in a pool [${d.maxJobs}]
  --max-queued-bytes N        consumers pause above this many bytes read and not yet written [${d.maxQueuedBytes}]
  --graphite HOST:PORT        send the handler's and each job's stats to Carbon every 10 s [off]

Process options (as for nxflow start):
  --config FILE               configuration file; its roles.writer section is the base for the flags above, its
                              kafka section the base for the Kafka options
  --admin-port N  --no-admin  --admin-host HOST  --enable-fault-injection  --log-format text|json

${kafkaHelp("nxflow")}

Example:
  nxflow writer --brokers kafka1:9092 --job-pool-topic ymir_pool --command-status-topic ymir_writer \\
    --hdf-output-prefix /data/ymir --max-jobs 2`;

/** The `writer` command. */
export const writerCommand: Command = {
  name: "writer",
  summary: "file writer: NeXus files from Kafka, driven by pl72/6s4t commands",
  help: HELP,
  run: (args) =>
    runStart(args, {
      role: "writer",
      flags: WRITER_FLAGS,
      section: (values) => flagsToSection(values as WriterFlagValues),
    }),
};
