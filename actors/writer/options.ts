/**
 * The file writer's settings, with kafka-to-nexus's option names (reference A.4): camelCase keys in the configuration
 * file's writer section, kebab-case command-line flags. Checked once at start-up; a bad value stops the start with
 * an error naming the setting. Each setting (flag): its default; what it is.
 *
 * - `jobPoolTopic` (`--job-pool-topic`): `"nxflow_writer_pool"`; where pl72 start commands wait
 * - `commandStatusTopic` (`--command-status-topic`): `"nxflow_writer_commands"`; idle status, refused starts, idle
 *   stops
 * - `hdfOutputPrefix` (`--hdf-output-prefix`): `"."`; folder of the files; must exist
 * - `serviceName` (`--service-name`): `""`; names the service id instead of the host
 * - `statusMasterInterval` (`--status-master-interval`): `"2s"`; x5f2 status period
 * - `timeBeforeStart` (`--time-before-start`): `"10s"`; read data from start − this
 * - `timeAfterStop` (`--time-after-stop`): `"10s"`; leeway for late data after the stop
 * - `dataFlushInterval` (`--data-flush-interval`): `"10s"`; file flush (and checkpoint) period
 * - `maxJobs` (`--max-jobs`): `1`; jobs one writer runs at once
 * - `maxQueuedBytes` (`--max-queued-bytes`): `268435456` (256 MiB); read but unwritten bytes before pausing
 * - `graphite` (`--graphite`): `""` (off); Carbon's `host:port` for stats (10 s)
 *
 * `maxQueuedBytes` is nxflow's analogue of kafka-to-nexus's `--max-queued-writes` (1000 messages), in bytes.
 * Durations are text with a unit (`ms`, `s`/`sec`, `m`/`min`, `h`, as kafka-to-nexus accepts) or numbers of ms.
 *
 * @module
 */
import { mergeChecked } from "../common/merge_checked.ts";
import { graphiteAddress } from "../common/graphite.ts";

const PLAIN_DEFAULTS = {
  jobPoolTopic: "nxflow_writer_pool",
  commandStatusTopic: "nxflow_writer_commands",
  hdfOutputPrefix: ".",
  serviceName: "",
  maxJobs: 1,
  maxQueuedBytes: 256 * 1024 * 1024,
  graphite: "",
};

const DURATION_DEFAULTS = {
  statusMasterInterval: "2s",
  timeBeforeStart: "10s",
  timeAfterStop: "10s",
  dataFlushInterval: "10s",
};

type DurationKey = keyof typeof DURATION_DEFAULTS;

/** The least value of each duration setting (ms). */
const LEAST_MS: Record<DurationKey, number> = {
  statusMasterInterval: 100,
  timeBeforeStart: 0,
  timeAfterStop: 0,
  dataFlushInterval: 100,
};

/** The settings' defaults as written in a configuration section: durations as text. */
export const WRITER_DEFAULTS: Readonly<typeof PLAIN_DEFAULTS & typeof DURATION_DEFAULTS> = {
  ...PLAIN_DEFAULTS,
  ...DURATION_DEFAULTS,
};

/** The checked settings, durations in ms. */
export interface WriterSettings {
  jobPoolTopic: string;
  commandStatusTopic: string;
  hdfOutputPrefix: string;
  /** "" for the default service id (host name based). */
  serviceName: string;
  statusMasterIntervalMs: number;
  timeBeforeStartMs: number;
  timeAfterStopMs: number;
  dataFlushIntervalMs: number;
  maxJobs: number;
  maxQueuedBytes: number;
  /** Carbon's plaintext `host:port` for the writer's stats; "" for none. */
  graphite: string;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const MIB = 1024 * 1024;

/**
 * Parses a duration: text with a unit (`"500ms"`, `"10s"`, `"3sec"`, `"5m"`, `"2min"`, `"1h"`, decimals allowed), a
 * bare number of ms (`"250"`), or a number of ms. The result is rounded to whole ms.
 *
 * @param what names the setting in the error
 * @throws {SyntaxError} for text that is not a duration; {@linkcode RangeError} for a negative or non-finite number
 *
 * @example
 * ```ts
 * parseDuration("2min"); // 120000
 * parseDuration(1500); // 1500
 * ```
 */
export function parseDuration(value: string | number, what = "the duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`Cannot use ${what}: a number of ms must be 0 or more, got ${value}`);
    }
    return Math.round(value);
  }
  const match = DURATION.exec(value.trim());
  if (!match) {
    throw new SyntaxError(
      `Cannot use ${what}: a duration like "10s", "500ms", "2min" or "1h" (or a number of ms), got ${
        JSON.stringify(value)
      }`,
    );
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] ?? "ms"]);
}

/**
 * Checks a writer section (configuration file or {@linkcode flagsToSection}) and applies the defaults. The output
 * prefix must be an existing folder: checked here, at start-up.
 *
 * @param where names the section in errors, e.g. `config.roles.writer`
 * @throws {TypeError} for an unknown key, a value of the wrong type, an empty or invalid topic, a missing prefix
 * @throws {RangeError} for a number or duration out of range
 */
export function writerSettings(section: Record<string, unknown>, where: string): WriterSettings {
  const durations: Partial<Record<DurationKey, unknown>> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (!(key in WRITER_DEFAULTS)) {
      throw new TypeError(`Cannot use ${where}.${key}: unknown key; known: ${Object.keys(WRITER_DEFAULTS).join(", ")}`);
    }
    if (key in DURATION_DEFAULTS) durations[key as DurationKey] = value;
    else rest[key] = value;
  }
  const c = mergeChecked(PLAIN_DEFAULTS, rest, where);
  for (const key of ["jobPoolTopic", "commandStatusTopic"] as const) {
    if (!TOPIC.test(c[key])) {
      throw new TypeError(
        `Cannot use ${where}.${key}: a Kafka topic name (1 to 249 of A-Z a-z 0-9 . _ -), got ${JSON.stringify(c[key])}`,
      );
    }
  }
  if (!Number.isInteger(c.maxJobs) || c.maxJobs < 1 || c.maxJobs > 64) {
    throw new RangeError(`Cannot use ${where}.maxJobs: an integer from 1 to 64, got ${c.maxJobs}`);
  }
  if (!Number.isSafeInteger(c.maxQueuedBytes) || c.maxQueuedBytes < MIB) {
    throw new RangeError(
      `Cannot use ${where}.maxQueuedBytes: an integer of at least ${MIB} (1 MiB), got ${c.maxQueuedBytes}`,
    );
  }
  checkOutputPrefix(c.hdfOutputPrefix, `${where}.hdfOutputPrefix`);
  if (c.graphite) graphiteAddress(c.graphite, `${where}.graphite`);
  const ms = (key: DurationKey) => duration(durations[key] ?? DURATION_DEFAULTS[key], `${where}.${key}`, LEAST_MS[key]);
  return {
    jobPoolTopic: c.jobPoolTopic,
    commandStatusTopic: c.commandStatusTopic,
    hdfOutputPrefix: c.hdfOutputPrefix,
    serviceName: c.serviceName,
    statusMasterIntervalMs: ms("statusMasterInterval"),
    timeBeforeStartMs: ms("timeBeforeStart"),
    timeAfterStopMs: ms("timeAfterStop"),
    dataFlushIntervalMs: ms("dataFlushInterval"),
    maxJobs: c.maxJobs,
    maxQueuedBytes: c.maxQueuedBytes,
    graphite: c.graphite,
  };
}

/** The writer's command-line flags, as a `parseArgs` option table (all take a value). */
export const WRITER_FLAGS = {
  "job-pool-topic": { type: "string" },
  "command-status-topic": { type: "string" },
  "hdf-output-prefix": { type: "string" },
  "service-name": { type: "string" },
  "status-master-interval": { type: "string" },
  "time-before-start": { type: "string" },
  "time-after-stop": { type: "string" },
  "data-flush-interval": { type: "string" },
  "max-jobs": { type: "string" },
  "max-queued-bytes": { type: "string" },
  graphite: { type: "string" },
} as const;

/** The values `parseArgs` gives for {@linkcode WRITER_FLAGS} (other flags may be present and are ignored). */
export type WriterFlagValues = Partial<Record<keyof typeof WRITER_FLAGS, string | boolean | (string | boolean)[]>>;

/**
 * Maps the flags that were given to a writer section for {@linkcode writerSettings}: `--job-pool-topic` →
 * `jobPoolTopic`, ...; `--max-jobs` and `--max-queued-bytes` become numbers.
 *
 * @throws {TypeError} for `--max-jobs` or `--max-queued-bytes` that is not a whole number
 */
export function flagsToSection(values: WriterFlagValues): Record<string, unknown> {
  const section: Record<string, unknown> = {};
  for (const flag of Object.keys(WRITER_FLAGS) as (keyof typeof WRITER_FLAGS)[]) {
    const value = values[flag];
    if (value === undefined) continue;
    if (typeof value !== "string") throw new TypeError(`Cannot use --${flag}: it takes one value`);
    const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (flag === "max-jobs" || flag === "max-queued-bytes") {
      if (!/^\d+$/.test(value)) {
        throw new TypeError(`Cannot use --${flag}: a whole number, got ${JSON.stringify(value)}`);
      }
      section[key] = Number(value);
    } else section[key] = value;
  }
  return section;
}

/** Checks that the output prefix is an existing folder; throws a TypeError naming the setting and the folder. */
function checkOutputPrefix(prefix: string, what: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(prefix);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "does not exist (create it first)" : (error as Error).message;
    throw new TypeError(`Cannot use ${what}: the folder ${JSON.stringify(prefix)} ${why}`);
  }
  if (!info.isDirectory) throw new TypeError(`Cannot use ${what}: ${JSON.stringify(prefix)} is not a folder`);
}

function duration(value: unknown, what: string, least: number): number {
  if (typeof value !== "string" && typeof value !== "number") {
    throw new TypeError(
      `Cannot use ${what}: a duration text like "10s" or a number of ms, got ${JSON.stringify(value)}`,
    );
  }
  const ms = parseDuration(value, what);
  if (ms < least) throw new RangeError(`Cannot use ${what}: at least ${least} ms, got ${ms} ms`);
  return ms;
}
