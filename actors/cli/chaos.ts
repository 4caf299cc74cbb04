/**
 * `nxflow chaos`: asks a running nxflow (through its admin endpoint) to make one actor crash, hang or exit silently,
 * for resilience tests. The instance must have been started with `--enable-fault-injection`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ChaosReply, ChaosRequest } from "../../protocols/admin.ts";
import { FAULT_KINDS, type FaultKind } from "../../protocols/runtime.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./command.ts";

const HELP = `Usage: nxflow chaos --actor ID --fault crash|hang|exit [--admin URL]

Injects a fault into one actor of a running nxflow that was started with --enable-fault-injection:
  crash  an uncaught error in the actor (it is restarted by its supervisor)
  hang   a busy loop that never returns (detected by missed heartbeats; the thread cannot be reclaimed,
         a replacement starts, and more hung threads than allowed end the process with code 4)
  exit   the worker closes without any notice (detected by missed heartbeats, then restarted)

Options:
  --actor ID     actor id (unique in the tree) or path, e.g. formation or efu/detector/formation
  --fault KIND   crash, hang or exit
  --admin URL    the instance's admin endpoint (default http://127.0.0.1:8790)

Exit codes: 0 injected, 1 refused by the instance, 2 bad options or instance not reachable.`;

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { actor: { type: "string" }, fault: { type: "string" }, admin: { type: "string" } },
  });
  if (!values.actor) throw new UsageError("--actor is required");
  if (!FAULT_KINDS.includes(values.fault as FaultKind)) {
    throw new UsageError(`--fault must be one of ${FAULT_KINDS.join(", ")}`);
  }
  const admin = values.admin ?? "http://127.0.0.1:8790";
  const body: ChaosRequest = { actor: values.actor, fault: values.fault as FaultKind };
  let reply: ChaosReply;
  try {
    const res = await fetch(new URL("/chaos", admin), { method: "POST", body: JSON.stringify(body) });
    reply = await res.json();
  } catch (error) {
    console.error(`nxflow chaos: cannot reach the admin endpoint ${admin}: ${(error as Error).message}`);
    return 2;
  }
  if (!reply.ok) {
    console.error(`nxflow chaos: refused: ${reply.error}`);
    return 1;
  }
  console.log(`nxflow chaos: ${reply.fault} injected into ${reply.path}`);
  return 0;
}

/** The `chaos` command. */
export const chaos: Command = {
  name: "chaos",
  summary: "make an actor of a running nxflow crash, hang or exit",
  help: HELP,
  run,
};
