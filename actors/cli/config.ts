/**
 * nxflow's configuration file: JSON, every field optional, defaults built in. `nxflow start --config FILE` reads it;
 * command-line flags override it. Unknown keys are errors, so that a typo fails at start-up instead of being ignored.
 *
 * ```json
 * {
 *   "admin": { "enabled": true, "host": "127.0.0.1", "port": 8790, "tokenFile": "" },
 *   "faultInjection": false,
 *   "logFormat": "text",
 *   "supervisor": { "intensity": 5, "periodMs": 30000, "maxLeakedThreads": 1 },
 *   "kafka": { "brokers": ["kafka1.facility:9092"] },
 *   "roles": { "sim": { "enabled": true, "eventRate": 100000 } }
 * }
 * ```
 *
 * The `kafka` section is described in `kafka_config.ts`; it is the only place of Kafka settings: a role's section with
 * a `brokers` (or `kafka`) key of its own is refused.
 *
 * @module
 */
import { checkAdminBinding } from "../admin/auth.ts";
import { systemRoles } from "../common/system/defaults.ts";
import { ROLES } from "../roles.ts";
import { checkKafkaSection, type KafkaSection } from "./kafka_config.ts";
import { mergeChecked } from "../common/merge_checked.ts";

/** The whole configuration, defaults applied. */
export interface NxflowConfig {
  admin: { enabled: boolean; host: string; port: number; tokenFile: string };
  faultInjection: boolean;
  logFormat: "text" | "json";
  supervisor: { intensity: number; periodMs: number; maxLeakedThreads: number };
  kafka: KafkaSection;
  /** enabled roles only, each with its checked configuration. */
  roles: Record<string, unknown>;
}

const DEFAULTS = {
  admin: { enabled: true, host: "127.0.0.1", port: 8790, tokenFile: "" },
  faultInjection: false,
  logFormat: "text",
  supervisor: { intensity: 5, periodMs: 30_000, maxLeakedThreads: 1 },
};

/**
 * Checks a parsed configuration and applies defaults; a file with no `roles` runs the default roles, the
 * simulated instrument's whole system (`../common/system/defaults.ts`).
 *
 * @throws {TypeError | RangeError} naming the first bad field.
 */
export function checkConfig(raw: unknown): NxflowConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new TypeError("Cannot use config: object");
  const { roles, kafka, ...rest } = raw as Record<string, unknown>;
  const base = mergeChecked(DEFAULTS, rest, "config");
  if (!["text", "json"].includes(base.logFormat)) throw new TypeError(`Cannot use config.logFormat: text or json`);
  const port = base.admin.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot use config.admin.port: 0 (any free port) or 1 to 65535, got ${port}`);
  }
  if (base.admin.enabled) checkAdminBinding(base.admin.host, base.admin.tokenFile);
  const system = systemRoles();
  const sections = (roles ??
    Object.fromEntries(ROLES.filter((r) => r.byDefault).map((r) => [r.name, system[r.name] ?? {}]))) as Record<
      string,
      Record<string, unknown>
    >;
  if (typeof sections !== "object" || Array.isArray(sections)) throw new TypeError("Cannot use config.roles: object");
  const enabled: Record<string, unknown> = {};
  for (const [name, section] of Object.entries(sections)) {
    const role = ROLES.find((r) => r.name === name);
    if (!role) {
      throw new TypeError(`Cannot use config.roles.${name}: unknown role; roles: ${ROLES.map((r) => r.name)}`);
    }
    if (section === null || typeof section !== "object" || Array.isArray(section)) {
      throw new TypeError(
        `Cannot use config.roles.${name}: must be an object of the role's settings ({} for defaults)`,
      );
    }
    const { enabled: on = true, ...fields } = section;
    for (const key of ["brokers", "kafka"]) {
      if (key in fields) {
        throw new TypeError(
          `Cannot use config.roles.${name}.${key}: roles have no Kafka settings of their own; every role uses the ` +
            `"kafka" section (config.kafka.brokers, config.kafka.sasl, ...)`,
        );
      }
    }
    if (typeof on !== "boolean") throw new TypeError(`Cannot use config.roles.${name}.enabled: must be a boolean`);
    if (on) enabled[name] = role.check(fields, `config.roles.${name}`);
  }
  if (Object.keys(enabled).length === 0) throw new RangeError("Cannot start: the configuration enables no role");
  return { ...base, logFormat: base.logFormat as "text" | "json", kafka: checkKafkaSection(kafka), roles: enabled };
}

/** Reads and checks a configuration file; with no path, the built-in defaults. */
export async function loadConfig(path: string | undefined): Promise<NxflowConfig> {
  if (!path) return checkConfig({});
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new TypeError(`Cannot read the configuration file ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`Cannot parse the configuration file ${path} as JSON: ${(error as Error).message}`);
  }
  return checkConfig(raw);
}
