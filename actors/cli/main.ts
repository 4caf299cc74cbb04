/**
 * The `nxflow` command frame: `nxflow <command> [options]`, `nxflow --help`, `nxflow --version`.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { UsageError } from "./command.ts";
import { COMMANDS } from "./commands.ts";
import { VERSION } from "../common/version.ts";
import { EXIT_CODES } from "../runtime/system.ts";

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "nxflow: neutron event and EPICS data streaming for ESS-style facilities (Kafka, FlatBuffers, NeXus).",
    "",
    "Usage: nxflow <command> [options]",
    "       nxflow <command> --help     options of one command",
    "       nxflow --version            version and git commit (<version>+<commit>)",
    "",
    "Commands:",
    ...lines,
    "",
    "From a checkout, run any command as: deno task nxflow <command> [options]",
  ].join("\n");
}

/** Runs the CLI with the given arguments; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    console.log(overview());
    return first === undefined ? EXIT_CODES.usage : 0;
  }
  if (first === "--version" || first === "-V" || first === "version") {
    console.log(`nxflow ${VERSION} (deno ${Deno.version.deno})`);
    return 0;
  }
  const command: Command | undefined = COMMANDS.find((c) => c.name === first);
  if (!command) {
    console.error(`nxflow: unknown command "${first}"\n\n${overview()}`);
    return EXIT_CODES.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`nxflow ${command.name}: ${(error as Error).message}\n\n${command.help}`);
      return EXIT_CODES.usage;
    }
    throw error;
  }
}
