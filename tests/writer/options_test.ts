/**
 * The file writer's settings (`actors/writer/options.ts`): durations, defaults, checks with errors naming the
 * setting, and the command-line flags mapped to a section.
 */
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import {
  flagsToSection,
  parseDuration,
  WRITER_DEFAULTS,
  WRITER_FLAGS,
  writerSettings,
} from "../../actors/writer/options.ts";

const WHERE = "config.roles.writer";

Deno.test("parseDuration reads kafka-to-nexus's units, bare ms and numbers", () => {
  const cases: [string | number, number][] = [
    ["10s", 10_000],
    ["500ms", 500],
    ["2min", 120_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["3sec", 3000],
    ["1.5s", 1500],
    [" 7 s ", 7000],
    ["250", 250],
    ["0", 0],
    [1500, 1500],
    [0.6, 1],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, String(text));
});

Deno.test("parseDuration refuses other text and negative numbers, naming the setting", () => {
  for (const bad of ["", "s", "10 sx", "-1s", "1d", "ten seconds", "1e3", "10S"]) {
    assert.throws(() => parseDuration(bad, "--time-after-stop"), SyntaxError, bad);
  }
  assert.throws(
    () => parseDuration("soon", "--time-after-stop"),
    {
      message:
        'Cannot use --time-after-stop: a duration like "10s", "500ms", "2min" or "1h" (or a number of ms), got "soon"',
    },
  );
  assert.throws(() => parseDuration(-5, "x"), {
    name: "RangeError",
    message: "Cannot use x: a number of ms must be 0 or more, got -5",
  });
  assert.throws(() => parseDuration(Infinity), RangeError);
});

Deno.test("writerSettings applies kafka-to-nexus's defaults", () => {
  assert.deepEqual(writerSettings({}, WHERE), {
    jobPoolTopic: "nxflow_writer_pool",
    commandStatusTopic: "nxflow_writer_commands",
    hdfOutputPrefix: ".",
    serviceName: "",
    statusMasterIntervalMs: 2000,
    timeBeforeStartMs: 10_000,
    timeAfterStopMs: 10_000,
    dataFlushIntervalMs: 10_000,
    maxJobs: 1,
    maxQueuedBytes: 256 * 1024 * 1024,
    graphite: "",
  });
  assert.equal(Object.keys(WRITER_DEFAULTS).length, 11);
});

Deno.test("writerSettings takes every setting, durations as text or ms", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = writerSettings({
      jobPoolTopic: "pool",
      commandStatusTopic: "status.v1",
      hdfOutputPrefix: dir,
      serviceName: "writer-1",
      statusMasterInterval: 500,
      timeBeforeStart: "1min",
      timeAfterStop: "0s",
      dataFlushInterval: "2s",
      maxJobs: 4,
      maxQueuedBytes: 64 * 1024 * 1024,
      graphite: "localhost:2003",
    }, WHERE);
    assert.deepEqual(s, {
      jobPoolTopic: "pool",
      commandStatusTopic: "status.v1",
      hdfOutputPrefix: dir,
      serviceName: "writer-1",
      statusMasterIntervalMs: 500,
      timeBeforeStartMs: 60_000,
      timeAfterStopMs: 0,
      dataFlushIntervalMs: 2000,
      maxJobs: 4,
      maxQueuedBytes: 64 * 1024 * 1024,
      graphite: "localhost:2003",
    });
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("writerSettings refuses bad values with an error naming the setting", async () => {
  const file = await Deno.makeTempFile();
  try {
    const cases: [Record<string, unknown>, string | RegExp][] = [
      [{ jobPool: "x" }, /Cannot use config\.roles\.writer\.jobPool: unknown key; known: jobPoolTopic, /],
      [{ jobPoolTopic: "" }, /config\.roles\.writer\.jobPoolTopic: a Kafka topic name .*, got ""$/],
      [{ commandStatusTopic: "a b" }, /commandStatusTopic: a Kafka topic name/],
      [{ commandStatusTopic: 5 }, "Cannot use config.roles.writer.commandStatusTopic: must be a string, got 5"],
      [{ maxJobs: 0 }, "Cannot use config.roles.writer.maxJobs: an integer from 1 to 64, got 0"],
      [{ maxJobs: 1.5 }, /maxJobs: an integer from 1 to 64/],
      [{ maxQueuedBytes: 1000 }, /maxQueuedBytes: an integer of at least 1048576 \(1 MiB\), got 1000/],
      [{ timeAfterStop: "soon" }, /config\.roles\.writer\.timeAfterStop: a duration like/],
      [{ timeAfterStop: true }, /timeAfterStop: a duration text like "10s" or a number of ms, got true/],
      [{ timeBeforeStart: -1 }, /timeBeforeStart: a number of ms must be 0 or more/],
      [
        { statusMasterInterval: "10ms" },
        "Cannot use config.roles.writer.statusMasterInterval: at least 100 ms, got 10 ms",
      ],
      [{ dataFlushInterval: 0 }, /dataFlushInterval: at least 100 ms/],
      [
        { hdfOutputPrefix: "/no/such/folder" },
        'Cannot use config.roles.writer.hdfOutputPrefix: the folder "/no/such/folder" does not exist (create it first)',
      ],
      [
        { hdfOutputPrefix: file },
        `Cannot use config.roles.writer.hdfOutputPrefix: ${JSON.stringify(file)} is not a folder`,
      ],
    ];
    for (const [section, message] of cases) {
      assert.throws(
        () => writerSettings(section, WHERE),
        typeof message === "string" ? { message } : message,
        JSON.stringify(section),
      );
    }
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("WRITER_FLAGS parse with parseArgs; flagsToSection maps them to settings", () => {
  const { values } = parseArgs({
    args: [
      ...["--job-pool-topic", "p", "--command-status-topic", "c", "--hdf-output-prefix", "."],
      ...["--service-name", "w", "--status-master-interval", "1s", "--time-before-start", "5s"],
      ...["--time-after-stop", "3s", "--data-flush-interval", "4s"],
      ...["--max-jobs", "2", "--max-queued-bytes", "2097152"],
    ],
    options: WRITER_FLAGS,
  });
  const section = flagsToSection(values);
  assert.deepEqual(section, {
    jobPoolTopic: "p",
    commandStatusTopic: "c",
    hdfOutputPrefix: ".",
    serviceName: "w",
    statusMasterInterval: "1s",
    timeBeforeStart: "5s",
    timeAfterStop: "3s",
    dataFlushInterval: "4s",
    maxJobs: 2,
    maxQueuedBytes: 2_097_152,
  });
  assert.deepEqual(flagsToSection({}), {});
  assert.deepEqual(flagsToSection({ "job-pool-topic": "" }), { jobPoolTopic: "" });
  assert.throws(() => writerSettings({ jobPoolTopic: "" }, "the command line"), /the command line\.jobPoolTopic/);
  assert.throws(() => flagsToSection({ "max-jobs": "two" }), {
    message: 'Cannot use --max-jobs: a whole number, got "two"',
  });
  assert.throws(() => flagsToSection({ "max-queued-bytes": "1e9" }), /--max-queued-bytes: a whole number/);
});
