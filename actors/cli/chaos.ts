/**
 * `nxflow chaos`: asks a running nxflow (through its admin endpoint) to make one actor crash, hang or exit silently,
 * for resilience tests, or (`--soak`) random faults for a while and a report (`chaos_soak.ts`). The instance must have
 * been started with `--enable-fault-injection`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ChaosReply, ChaosRequest } from "../../protocols/admin.ts";
import { FAULT_KINDS, type FaultKind } from "../../protocols/runtime.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./command.ts";
import { readToken } from "../admin/auth.ts";
import { parseDuration } from "../writer/options.ts";
import { soak, type SoakOptions, type SoakReport } from "./chaos_soak.ts";

const HELP = `Usage: nxflow chaos --actor ID --fault crash|hang|exit [--admin URL] [--admin-token-file FILE]
       nxflow chaos --soak [--interval D] [--duration D] [--seed S] [--max-hangs N] [--admin URL]
                    [--admin-token-file FILE]

Injects a fault into one actor of a running nxflow that was started with --enable-fault-injection:
  crash  an uncaught error in the actor (it is restarted by its supervisor)
  hang   a busy loop that never returns (detected by missed heartbeats; the thread cannot be reclaimed,
         a replacement starts, and more hung threads than allowed end the process with code 4)
  exit   the worker closes without any notice (detected by missed heartbeats, then restarted)

With --soak, a fault every --interval (default 2s) for --duration (default 10m) into a random running actor
(crash or silent exit; at most --max-hangs hangs, default 1), then waits until every actor runs again (up to 60 s)
and prints the report as one JSON line: faults by actor and kind, restarts from GET /tree, health.

Options:
  --actor ID     actor id (unique in the tree) or path, e.g. formation or efu/detector/formation
  --fault KIND   crash, hang or exit
  --admin URL    the instance's admin endpoint (default http://127.0.0.1:8790)
  --admin-token-file FILE  the instance's admin token, when it was started with one

Exit codes: 0 injected (soak: every actor runs again), 1 refused by the instance (soak: an actor stays down),
2 bad options or instance not reachable.`;

const TEXT = { type: "string" } as const;

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...{ actor: TEXT, fault: TEXT, admin: TEXT, soak: { type: "boolean" }, "admin-token-file": TEXT },
      ...{ interval: TEXT, duration: TEXT, seed: TEXT, "max-hangs": TEXT },
    },
  });
  let token: string | undefined;
  if (values["admin-token-file"] !== undefined) {
    try {
      token = await readToken(values["admin-token-file"]);
    } catch (error) {
      console.error(`nxflow chaos: ${(error as Error).message}`);
      return 2;
    }
  }
  if (values.soak) return await runSoak(values, token);
  if (!values.actor) throw new UsageError("--actor is required");
  if (!FAULT_KINDS.includes(values.fault as FaultKind)) {
    throw new UsageError(`--fault must be one of ${FAULT_KINDS.join(", ")}`);
  }
  const admin = values.admin ?? "http://127.0.0.1:8790";
  const body: ChaosRequest = { actor: values.actor, fault: values.fault as FaultKind };
  let reply: ChaosReply;
  try {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const res = await fetch(new URL("/chaos", admin), { method: "POST", body: JSON.stringify(body), headers });
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

async function runSoak(values: Record<string, string | boolean | undefined>, token?: string): Promise<number> {
  const text = (name: string, fallback: string) => (values[name] as string | undefined) ?? fallback;
  const duration = (name: string, fallback: string) => {
    try {
      return parseDuration(text(name, fallback), `--${name}`);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const options: SoakOptions = {
    admin: text("admin", "http://127.0.0.1:8790"),
    intervalMs: duration("interval", "2s"),
    durationMs: duration("duration", "10m"),
    seed: Number(text("seed", String(Date.now() % 1_000_000))),
    maxHangs: Number(text("max-hangs", "1")),
    recoveryMs: 60_000,
    token,
  };
  if (!(options.intervalMs > 0)) throw new UsageError("--interval must be above 0");
  if (!Number.isInteger(options.seed)) throw new UsageError("--seed must be an integer");
  if (!(Number.isInteger(options.maxHangs) && options.maxHangs >= 0)) throw new UsageError("--max-hangs: 0 or more");
  let report: SoakReport;
  try {
    report = await soak(options, (line) => console.error(`nxflow chaos: ${line}`));
  } catch (error) {
    console.error(`nxflow chaos: cannot reach the admin endpoint ${options.admin}: ${(error as Error).message}`);
    return 2;
  }
  console.log(JSON.stringify(report));
  return report.notRunning.length === 0 ? 0 : 1;
}

/** The `chaos` command. */
export const chaos: Command = {
  name: "chaos",
  summary: "make an actor of a running nxflow crash, hang or exit",
  help: HELP,
  run,
};
