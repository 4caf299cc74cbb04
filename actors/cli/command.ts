/**
 * The shape of an `nxflow` subcommand. Each role or tool is one module in this folder exporting one `Command`, listed
 * once in `commands.ts`.
 *
 * @module
 */

/** One subcommand of the `nxflow` binary. */
export interface Command {
  /** the word after `nxflow`. */
  name: string;
  /** one line for `nxflow --help`. */
  summary: string;
  /** the full text of `nxflow <name> --help`: usage line, options with defaults, examples. */
  help: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
