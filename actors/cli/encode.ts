/**
 * `nxflow encode <schema-id>`: turns a message in the JSON form (what `nxflow inspect` and `flatc --json` print) into
 * FlatBuffers bytes, for tests, operations and scripting. Objects that miss a required field are refused.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { EncodeError, SCHEMAS } from "../../schemas/mod.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./command.ts";

const HELP = `Usage: nxflow encode <schema-id> [--in file.json] [--out msg.bin]

Encodes one message given in the JSON form (field names as in the schema, enums by name, a union as
"<field>_type" plus the member object, 64-bit integers written exactly) as an ESS FlatBuffers message.

Schema ids: ${[...SCHEMAS.keys()].join(", ")}

Options:
  --in FILE    read the JSON from FILE (default: stdin)
  --out FILE   write the message to FILE (default: stdout)

Exit codes: 0 written, 1 the JSON is not a valid message (missing required field, bad value), 2 bad options.

Example:
  echo '{"source_name":"PV:T","timestamp":1700000000000000000,"value_type":"Double","value":{"value":3.5}}' |
    nxflow encode f144 --out t.bin`;

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { in: { type: "string" }, out: { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError("give exactly one schema id");
  const codec = SCHEMAS.get(positionals[0]);
  if (!codec) throw new UsageError(`unknown schema id "${positionals[0]}"`);
  let text: string;
  try {
    text = values.in
      ? await Deno.readTextFile(values.in)
      : new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer());
  } catch (error) {
    console.error(`nxflow encode: cannot read ${values.in}: ${(error as Error).message}`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = codec.encodeJson(text);
  } catch (error) {
    if (!(error instanceof EncodeError)) throw error;
    console.error(`nxflow encode: ${error.message}`);
    return 1;
  }
  if (values.out) await Deno.writeFile(values.out, bytes);
  else {
    const writer = Deno.stdout.writable.getWriter();
    await writer.write(bytes);
    writer.releaseLock();
  }
  return 0;
}

/** The `encode` command. */
export const encode: Command = {
  name: "encode",
  summary: "encode a JSON-form message as ESS FlatBuffers bytes",
  help: HELP,
  run,
};
