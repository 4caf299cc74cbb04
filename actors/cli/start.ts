/**
 * `nxflow start`: runs the root supervisor with every role of the configuration, the admin endpoint beside it,
 * until SIGINT or SIGTERM (graceful stop, exit 0) or a fatal failure (exit 3 or 4, for systemd to restart it).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ExitCounter } from "../admin/metrics.ts";
import { checkAdminBinding, readToken } from "../admin/auth.ts";
import { startAdminServer } from "../admin/server.ts";
import { ROLES } from "../roles.ts";
import { guardRejections } from "../runtime/rejections.ts";
import { ActorSystem, EXIT_CODES } from "../runtime/system.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./command.ts";
import { loadConfig, type NxflowConfig } from "./config.ts";
import { connectKafka, KAFKA_FLAGS, kafkaFromFlags, kafkaHelp } from "./kafka_config.ts";
import { createLog, logEvent } from "../common/log.ts";
import { gitCommit, VERSION } from "../common/version.ts";

const HELP = `Usage: nxflow start [options]

Runs nxflow's supervision tree with the roles of the configuration file (default: the simulated instrument's
whole system: ${ROLES.filter((r) => r.byDefault).map((r) => r.name).join(", ")}),
and a loopback admin endpoint (GET /health, GET /tree, GET /stats, POST /chaos, and the live view's web page on
GET /live). Stops gracefully on SIGINT or SIGTERM, or once every role has stopped (an EFU's EXIT command stops that EFU).

Options:
  --config FILE              JSON configuration file (see README, "Configuration"); default: built-in defaults
  --admin-port N             admin endpoint port; 0 lets the system pick a free one (default 8790)
  --no-admin                 no admin endpoint
  --admin-host HOST          admin endpoint address (default 127.0.0.1); beyond loopback it needs a token file
  --admin-token-file FILE    the admin token (one line, at least 16 characters): needed by controls (the live
                             view's run and histogram buttons, POST /chaos) and by any client not on loopback
  --enable-fault-injection   accept POST /chaos (nxflow chaos); never on a production instance
  --log-format text|json     log line format (default text)
  -h, --help                 this text

${kafkaHelp("nxflow")}
The Kafka options override their fields of the configuration file's kafka section.

Roles:
${ROLES.map((r) => `  ${r.name.padEnd(12)} ${r.summary}`).join("\n")}

Exit codes: 0 stopped by a signal, 1 could not start (Kafka unreachable, ...), 2 bad options or configuration,
3 the root supervisor gave up, 4 too many actor threads hung (the service manager should restart nxflow).

Example:
  deno task start --enable-fault-injection
  deno task nxflow run start --duration 10s --wait
  deno task nxflow chaos --actor efu/detector/formation --fault crash`;

function applyFlags(
  config: NxflowConfig,
  values: Record<string, string | boolean | undefined>,
  brokerAliases: readonly string[] = [],
): NxflowConfig {
  const out = structuredClone(config);
  if (values["admin-port"] !== undefined) {
    const port = Number(values["admin-port"]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--admin-port must be 0 to 65535, got ${values["admin-port"]}`);
    }
    out.admin.port = port;
  }
  if (values["admin-host"] !== undefined) out.admin.host = String(values["admin-host"]);
  if (values["admin-token-file"] !== undefined) out.admin.tokenFile = String(values["admin-token-file"]);
  if (values["no-admin"]) out.admin.enabled = false;
  out.kafka = kafkaFromFlags(values, out.kafka, brokerAliases);
  if (values["enable-fault-injection"]) out.faultInjection = true;
  const format = values["log-format"];
  if (format !== undefined) {
    if (format !== "text" && format !== "json") throw new UsageError(`--log-format must be text or json`);
    out.logFormat = format;
  }
  if (out.admin.enabled) {
    try {
      checkAdminBinding(out.admin.host, out.admin.tokenFile);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return out;
}

const START_OPTIONS = {
  config: { type: "string" },
  ...KAFKA_FLAGS,
  "admin-port": { type: "string" },
  "admin-host": { type: "string" },
  "admin-token-file": { type: "string" },
  "no-admin": { type: "boolean" },
  "enable-fault-injection": { type: "boolean" },
  "log-format": { type: "string" },
} as const;

/**
 * A role run on its own by a command of its own (`nxflow writer`, `nxflow efu`, `nxflow forwarder`), its section built
 * from that command's flags; everything else (configuration file, Kafka, signals, exit codes) is `start`'s.
 */
export interface RoleCommand {
  role: string;
  /** the role's own flags, a `parseArgs` option table. */
  flags: Record<string, { type: "string" | "boolean" }>;
  /** builds the role's configuration section from the flags given; the configuration file's section is the base. */
  section(values: Record<string, unknown>): Record<string, unknown>;
  /** the Kafka client id without a configuration file (default: `start`'s, "nxflow"). */
  clientId?: string;
  /** other names of `--brokers` this command accepts (the forwarder's `--output-broker`). */
  brokerAliases?: readonly string[];
  /** whether the admin endpoint runs without `--config`, `--admin-port` or `--admin-host`. @default true */
  adminByDefault?: boolean;
  /** seconds after which the command stops by itself (the EFU's `--stop-after`); undefined: until a signal. */
  stopAfter?(values: Record<string, unknown>): number | undefined;
}

function run(args: string[]): Promise<number> {
  return runStart(args);
}

/**
 * `nxflow start`, or with `only` one role alone whose settings come from the configuration file's section of that
 * role (if any) overridden by the command's own flags.
 */
export async function runStart(args: string[], only?: RoleCommand): Promise<number> {
  const { values } = parseArgs({ args, options: { ...START_OPTIONS, ...only?.flags } });
  let config: NxflowConfig;
  try {
    const loaded = await loadConfig(values.config);
    if (only?.clientId && values.config === undefined) loaded.kafka.clientId = only.clientId;
    config = applyFlags(loaded, values, only?.brokerAliases);
    if (only) config = withOnly(config, only, values, values.config);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`nxflow ${only?.role ?? "start"}: ${(error as Error).message}`);
    return EXIT_CODES.usage;
  }
  return await runConfigured(config, values.config, only?.stopAfter?.(values));
}

function withOnly(config: NxflowConfig, only: RoleCommand, values: Record<string, unknown>, file?: string) {
  const role = ROLES.find((r) => r.name === only.role)!;
  const base = file ? rawRoleSection(file, only.role) : {};
  const section = { ...base, ...only.section(values) };
  const adminAsked = file !== undefined || values["admin-port"] !== undefined || values["admin-host"] !== undefined;
  const admin = only.adminByDefault === false && !adminAsked ? { ...config.admin, enabled: false } : config.admin;
  return { ...config, admin, roles: { [only.role]: role.check(section, `the ${only.role} settings`) } };
}

/** The role's section of a configuration file as written (before defaults), without `enabled`. */
function rawRoleSection(file: string, role: string): Record<string, unknown> {
  const raw = JSON.parse(Deno.readTextFileSync(file)) as { roles?: Record<string, Record<string, unknown>> };
  const { enabled: _enabled, ...section } = raw.roles?.[role] ?? {};
  return section;
}

async function runConfigured(
  config: NxflowConfig,
  configFile: string | undefined,
  stopAfterSeconds?: number,
): Promise<number> {
  const log = createLog(config.logFormat);
  let giveUp = () => {};
  const gaveUp = new Promise<string>((resolve) => giveUp = () => resolve("too many unhandled rejections"));
  const { intensity, periodMs } = config.supervisor;
  const rejections = guardRejections({
    log: (stack) => log("error", "nxflow", `unhandled promise rejection on the main thread: ${stack}`),
    intensity,
    periodMs,
    onGiveUp: giveUp,
  });
  const commit = await gitCommit();
  const roles = ROLES.filter((r) => r.name in config.roles);
  log("info", "nxflow", `nxflow ${VERSION} starting roles: ${roles.map((r) => r.name).join(", ")}`, {
    config: configFile ?? "built-in defaults",
  });
  let kafka = null;
  let token: string | null = null;
  try {
    if (config.admin.enabled && config.admin.tokenFile) token = await readToken(config.admin.tokenFile);
    if (roles.some((r) => r.kafka)) kafka = await connectKafka(config.kafka, (line) => log("info", "kafka", line));
    for (const r of roles) await r.prepare?.(config.roles[r.name] as never, kafka, log);
  } catch (error) {
    log("error", "nxflow", `cannot start: ${(error as Error).message}`);
    return 1;
  }
  const exits = new ExitCounter();
  const system = await ActorSystem.start({
    id: "root",
    strategy: "oneForOne",
    intensity: config.supervisor.intensity,
    periodMs: config.supervisor.periodMs,
    children: roles.map((r) => r.tree(config.roles[r.name] as never, kafka)),
  }, {
    maxLeakedThreads: config.supervisor.maxLeakedThreads,
    onEvent: (e) => {
      exits.record(e);
      logEvent(log, e);
    },
  });
  for (const r of roles) r.attach?.(system, config.roles[r.name] as never, log, kafka);
  const admin = !config.admin.enabled ? null : await startAdminServer(system, {
    host: config.admin.host,
    port: config.admin.port,
    faultInjection: config.faultInjection,
    version: VERSION,
    commit,
    log,
    exits,
    unhandledRejections: () => rejections.count,
    token,
    routes: roles.filter((r) => r.routes).map((r) => (ctx) =>
      r.routes!(system, config.roles[r.name] as never, log, ctx)
    ),
  });
  if (admin) {
    const chaos = config.faultInjection ? "enabled" : "disabled";
    log(
      "info",
      "admin",
      `admin endpoint on ${admin.url} (GET /health, GET /tree, GET /stats, GET /metrics; fault injection ${chaos})`,
    );
    if (roles.some((r) => r.name === "live")) log("info", "live", `live view on ${admin.url}/live`);
  }
  for (const r of roles) log("info", "nxflow", `running ${r.name}: ${r.summary}`);
  if (roles.some((r) => r.name === "writer")) {
    log("info", "nxflow", "take a run: deno task nxflow run start --duration 10s --wait (stop one: run stop)");
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const signal = await Promise.race([
    gaveUp,
    new Promise<string>((resolve) => {
      for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => resolve(sig));
      // a role may stop its own tree (the EFU's EXIT command); when no role is left, nxflow stops
      system.onEvent((e) => {
        if (e.type === "stopped" && system.root.children.length === 0) resolve("every role stopped");
      });
      if (stopAfterSeconds !== undefined) timer = setTimeout(() => resolve("--stop-after"), stopAfterSeconds * 1000);
    }),
  ]);
  clearTimeout(timer);
  const failed = signal === "too many unhandled rejections";
  if (failed) log("error", "nxflow", `${signal} on the main thread (over ${intensity} in ${periodMs} ms): stopping`);
  else log("info", "nxflow", `${signal}${signal.startsWith("SIG") ? " received" : ""}: stopping`);
  await admin?.shutdown();
  const clean = await system.stop();
  log(clean ? "info" : "warn", "nxflow", clean ? "stopped" : "stopped, but a worker thread could not be reclaimed");
  return failed ? EXIT_CODES.escalated : 0;
}

/** The `start` command. */
export const start: Command = {
  name: "start",
  summary: "run the supervision tree with the configured roles",
  help: HELP,
  run,
};
