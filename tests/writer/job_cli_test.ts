/**
 * `nxflow job` (`actors/cli/job.ts`): its help and bad options as a process (exit 2), argument parsing, and how it
 * reads the writer's answ, x5f2 and wrdn messages. No broker here: the end-to-end run needs the file writer.
 */
import assert from "node:assert/strict";
import {
  DEFAULT_CONTROL_TOPIC,
  JOB_EXIT,
  parseJobArgs,
  type StartArgs,
  statusLine,
  watchStart,
  watchStop,
} from "../../actors/cli/job.ts";
import { UsageError } from "../../actors/cli/command.ts";
import { answMessage, wrdnMessage } from "../../actors/writer/command/replies.ts";
import { readStatus, statusJson, statusMessage } from "../../actors/writer/command/status.ts";
import { NO_STOP_TIME_MS } from "../../protocols/writer.ts";
import { pl72 } from "../../schemas/mod.ts";
import { Buffer } from "node:buffer";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { createKafka } from "../../actors/broker/connection.ts";
import type { ConnectionOptions } from "../../protocols/broker.ts";
import { isUuid, validateStart, validateStop } from "../../actors/writer/command/validate.ts";
import { type NxflowProcess, reap, runNxflow, spawnNxflow } from "../_harness/process.ts";
import { startKafka } from "../_harness/kafka.ts";

const NOW = Date.parse("2026-11-22T03:00:00Z");
const JOB = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const START = ["start", "--structure", "s.json", "--filename", "run.nxs"];

Deno.test("nxflow job --help explains the actions, options and exit codes", async () => {
  const { code, stdout } = await runNxflow(["job", "--help"]);
  assert.equal(code, 0);
  for (const text of ["nxflow job start --structure", "nxflow job stop --job-id", "nxflow job status", "Exit codes"]) {
    assert.ok(stdout.includes(text), text);
  }
  const top = await runNxflow(["--help"]);
  assert.match(top.stdout, /\n {2}job +start, stop or watch file writer jobs/);
});

Deno.test("nxflow job with bad options exits 2 and says what is wrong", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.json`, "{not json");
    const cases: [string[], RegExp][] = [
      [["job"], /give one of start, stop, status/],
      [["job", "pause"], /give one of start, stop, status, not "pause"/],
      [["job", "start", "--filename", "x.nxs"], /start needs --structure FILE\.json/],
      [["job", "stop"], /stop needs --job-id/],
      [["job", "status", "--seconds", "0"], /--seconds must be above 0 and at most 3600, not "0"/],
      [["job", "status", "--wait"], /Unknown option '--wait'/],
      [["job", ...START, "--brokers", "nohost"], /brokers: each must be "host:port"/],
      [["job", "start", "--structure", `${dir}/none.json`, "--filename", "x.nxs"], /cannot read --structure/],
      [["job", "start", "--structure", `${dir}/bad.json`, "--filename", "x.nxs"], /bad\.json is not JSON/],
    ];
    for (const [args, message] of cases) {
      const out = await runNxflow(args);
      assert.equal(out.code, 2, args.join(" "));
      assert.match(out.stderr, message, args.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseJobArgs start: defaults, a new job id, times as ISO, ms, now and +duration", () => {
  const a = parseJobArgs(START, NOW);
  assert.ok(a.action === "start");
  assert.ok(isUuid(a.jobId));
  assert.notEqual(a.jobId, (parseJobArgs(START, NOW) as StartArgs).jobId);
  assert.deepEqual({ ...a, jobId: "", kafka: null }, {
    action: "start",
    kafka: null,
    controlTopic: DEFAULT_CONTROL_TOPIC,
    commandStatusTopic: "nxflow_writer_commands",
    jobPoolTopic: "nxflow_writer_pool",
    structureFile: "s.json",
    filename: "run.nxs",
    jobId: "",
    startMs: NOW,
    stopMs: 0,
    metadata: "",
    wait: false,
    timeoutMs: 60_000,
  });
  assert.deepEqual(a.kafka.brokers, []);
  assert.equal(a.kafka.clientId, "nxflow-job");
  const b = parseJobArgs([
    ...START,
    ...["--job-id", JOB, "--start", "2026-11-22T04:00:00Z", "--stop", "+10min", "--metadata", '{"a":1}'],
    ...["--control-topic", "ctl", "--job-pool-topic", "pool", "--command-status-topic", "st", "--wait"],
    ...["--timeout", "0", "--brokers", "k1:9092,k2:9092", "--client-id", "me"],
  ], NOW);
  assert.ok(b.action === "start");
  assert.equal(b.jobId, JOB);
  assert.equal(b.startMs, NOW + 3_600_000);
  assert.equal(b.stopMs, NOW + 3_600_000 + 600_000);
  assert.deepEqual([b.metadata, b.controlTopic, b.jobPoolTopic, b.commandStatusTopic], [
    '{"a":1}',
    "ctl",
    "pool",
    "st",
  ]);
  assert.deepEqual([b.wait, b.timeoutMs, b.kafka.brokers, b.kafka.clientId], [true, 0, ["k1:9092", "k2:9092"], "me"]);
  const c = parseJobArgs([...START, "--start", "1700000000000", "--stop", "2023-11-14T22:14:20Z"], NOW);
  assert.ok(c.action === "start");
  assert.deepEqual([c.startMs, c.stopMs], [1_700_000_000_000, 1_700_000_060_000]);
});

Deno.test("parseJobArgs stop and status", () => {
  const now = parseJobArgs(["stop", "--job-id", JOB], NOW);
  assert.ok(now.action === "stop");
  assert.deepEqual([now.jobId, now.stopMs, now.controlTopic, now.timeoutMs], [JOB, 0, DEFAULT_CONTROL_TOPIC, 60_000]);
  const later = parseJobArgs(["stop", "--job-id", JOB, "--stop", "+30s", "--timeout", "5s"], NOW);
  assert.ok(later.action === "stop");
  assert.deepEqual([later.stopMs, later.timeoutMs], [NOW + 30_000, 5000]);
  const status = parseJobArgs(["status", "--seconds", "2.5", "--command-status-topic", "st"], NOW);
  assert.ok(status.action === "status");
  assert.deepEqual([status.seconds, status.commandStatusTopic, status.controlTopic], [
    2.5,
    "st",
    DEFAULT_CONTROL_TOPIC,
  ]);
});

Deno.test("parseJobArgs refuses bad values with a UsageError naming the option", () => {
  const cases: [string[], RegExp][] = [
    [[...START, "--job-id", "job-1"], /--job-id must be a UUID, not "job-1"/],
    [["stop", "--job-id", "00000000-0000-0000-0000-000000000000"], /--job-id must be a UUID/],
    [[...START, "--start", "yesterday"], /--start must be an ISO 8601 date, ms since the epoch, now or \+DURATION/],
    [[...START, "--start", "2026-11-22T04:00:00Z", "--stop", "2026-11-22T03:00:00Z"], /--stop is before --start/],
    [[...START, "--stop", "+soon"], /--stop: a duration like/],
    [[...START, "--metadata", "{x"], /--metadata must be JSON: /],
    [[...START, "--control-topic", "a b"], /--control-topic must be a Kafka topic name, not "a b"/],
    [[...START, "--timeout", "forever"], /--timeout: a duration like/],
    [[...START, "--sasl", "kerberos"], /sasl\.mechanism: one of plain, scram-sha-256, scram-sha-512/],
    [[...START, "--sasl", "plain"], /username and passwordFile are required/],
    [[...START, "--brokers", ""], /--brokers takes host:port/],
    [[...START, "extra"], /Unexpected argument 'extra'/],
    [[...START, "--structure"], /Option '--structure <value>' argument missing/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseJobArgs(args, NOW),
      (e) => e instanceof UsageError && message.test(e.message),
      args.join(" "),
    );
  }
});

const answ = (action: "StartJob" | "SetStopTime", outcome: "Success" | "Failure", commandId = JOB, jobId = JOB) =>
  answMessage({
    serviceId: "w1",
    jobId,
    action,
    outcome,
    statusCode: outcome === "Success" ? 201 : 400,
    stopMs: NO_STOP_TIME_MS,
    message: outcome === "Success" ? "Started write job" : "Rejected",
    commandId,
  });
const writing = (jobId: string) =>
  statusMessage({
    serviceId: "w1",
    version: "0.1.0",
    intervalMs: 2000,
    statusJson: statusJson({ jobId, filename: "run.nxs", startMs: NOW, stopMs: NO_STOP_TIME_MS }),
  });

Deno.test("watchStart: refused start ends with 1; accepted ends with 0 unless waiting; others' messages ignored", () => {
  const quick = watchStart(JOB, false);
  assert.deepEqual(quick(pl72.encode({ job_id: JOB })), {});
  assert.deepEqual(quick(new Uint8Array([1, 2, 3])), {});
  assert.deepEqual(quick(answ("StartJob", "Success", "x", "11111111-2222-4333-8444-555555555555")), {});
  assert.deepEqual(quick(writing(JOB)), {});
  assert.deepEqual(quick(answ("StartJob", "Failure")), { line: "refused (400): Rejected", exitCode: JOB_EXIT.failed });
  assert.deepEqual(quick(answ("StartJob", "Success")), { line: "accepted by w1: Started write job", exitCode: 0 });
});

Deno.test("watchStart --wait: prints status and stop answers, ends with the wrdn (0 finished, 1 failed)", () => {
  const wait = watchStart(JOB, true);
  assert.deepEqual(wait(answ("StartJob", "Success")), {
    line: "accepted by w1: Started write job",
    exitCode: undefined,
  });
  assert.deepEqual(wait(writing(JOB)), { line: "status w1: writing run.nxs (stop none)" });
  assert.deepEqual(wait(writing("11111111-2222-4333-8444-555555555555")), {});
  assert.deepEqual(wait(answ("SetStopTime", "Success", "c")), { line: "stop accepted by w1: Started write job" });
  const meta = { serviceId: "w1", jobId: JOB, fileName: "/data/run.nxs", metadata: "" };
  assert.deepEqual(wait(wrdnMessage(meta)), { line: "finished: /data/run.nxs", exitCode: JOB_EXIT.ok });
  assert.deepEqual(wait(wrdnMessage({ ...meta, error: "topic t does not exist" })), {
    line: "failed: topic t does not exist (file /data/run.nxs)",
    exitCode: JOB_EXIT.failed,
  });
});

Deno.test("watchStop waits for the answ of its command id", () => {
  const watch = watchStop("c1");
  assert.deepEqual(watch(answ("SetStopTime", "Success", "c0")), {});
  assert.deepEqual(watch(answ("SetStopTime", "Success", "c1")), {
    line: "accepted by w1: Started write job",
    exitCode: 0,
  });
  assert.deepEqual(watch(answ("SetStopTime", "Failure", "c1")), { line: "refused (400): Rejected", exitCode: 1 });
});

Deno.test("statusLine shows service id, state, job and file of idle and writing writers", () => {
  const idle = readStatus(
    statusMessage({ serviceId: "w2", version: "v", intervalMs: 2000, statusJson: statusJson(null) }),
  );
  assert.equal(statusLine(idle!), "w2  idle  job=-  file=-");
  assert.equal(statusLine(readStatus(writing(JOB))!), `w1  writing  job=${JOB}  file=run.nxs`);
  const other = statusMessage({ serviceId: "fwd", version: "v", intervalMs: 1, statusJson: '{"streams":[]}' });
  assert.equal(readStatus(other), null);
  assert.equal(readStatus(answ("StartJob", "Success")), null);
});

/**
 * A stand-in for the file writer: takes pl72 from the pool (refusing a file name "refuse.nxs" with a 400 on the
 * command-status topic), echoes it and answers on the control topic, sends writing status every 300 ms, and on a 6s4t
 * answers and sends the wrdn.
 */
async function standInWriter(connection: ConnectionOptions, topics: { pool: string; status: string; control: string }) {
  const client = createKafka(connection);
  const producer = client.producer();
  await producer.connect();
  const publish = (topic: string, value: Uint8Array) =>
    producer.send({ topic, messages: [{ value: Buffer.from(value) }] });
  const consumer = client.consumer({ groupId: `stand-in-${crypto.randomUUID()}`, maxWaitTimeInMs: 100 });
  let running: { jobId: string; timer: ReturnType<typeof setInterval> } | null = null;
  const reply = (
    jobId: string,
    action: "StartJob" | "SetStopTime",
    outcome: "Success" | "Failure",
    commandId: string,
  ) =>
    answMessage({
      ...{ serviceId: "stand-in", jobId, action, outcome, stopMs: NO_STOP_TIME_MS, commandId },
      ...{ statusCode: outcome === "Success" ? 201 : 400, message: outcome === "Success" ? "ok" : "no" },
    });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.pool, topics.control], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const bytes = new Uint8Array(message.value!);
      const start = validateStart(bytes, Date.now());
      if (start.ok && start.start.filename === "refuse.nxs") {
        await publish(topics.status, reply(start.start.jobId, "StartJob", "Failure", start.start.jobId));
      } else if (start.ok && !running) {
        const { jobId, filename, startMs, stopMs, controlTopic } = start.start;
        await publish(controlTopic, bytes);
        await publish(controlTopic, reply(jobId, "StartJob", "Success", jobId));
        const status = statusJson({ jobId, filename, startMs, stopMs });
        const beat = () =>
          publish(
            controlTopic,
            statusMessage({ serviceId: "stand-in", version: "v", intervalMs: 300, statusJson: status }),
          );
        running = { jobId, timer: setInterval(beat, 300) };
      }
      const stop = running ? validateStop(bytes, [running.jobId]) : null;
      if (stop?.ok && running) {
        clearInterval(running.timer);
        running = null;
        await publish(topics.control, reply(stop.stop.jobId, "SetStopTime", "Success", stop.stop.commandId));
        await publish(
          topics.control,
          wrdnMessage({ serviceId: "stand-in", jobId: stop.stop.jobId, fileName: "/out/run.nxs", metadata: "" }),
        );
      }
    },
  });
  return async () => {
    if (running) clearInterval(running.timer);
    await consumer.disconnect();
    await producer.disconnect();
  };
}

Deno.test("nxflow job start --wait, status, stop and a refused start, against a stand-in writer on Kafka", async () => {
  const kafka = await startKafka({ heapMb: 512 });
  const dir = await Deno.makeTempDir();
  const topics = { pool: "job_pool", status: "job_status", control: "job_control" };
  let stopWriter = () => Promise.resolve();
  let started: NxflowProcess | null = null;
  try {
    const admin = await BrokerAdmin.connect(kafka.connection);
    await admin.createTopics([{ topic: topics.pool }, { topic: topics.status }, { topic: topics.control }]);
    await admin.close();
    stopWriter = await standInWriter(kafka.connection, topics);
    await Deno.writeTextFile(`${dir}/s.json`, '{"children":[]}');
    const broker = ["--brokers", kafka.bootstrap];
    const control = ["--control-topic", topics.control];
    const status = ["--command-status-topic", topics.status];
    const start = ["job", "start", ...broker, ...control, ...status, "--job-pool-topic", topics.pool];
    started = spawnNxflow([
      ...start,
      "--structure",
      `${dir}/s.json`,
      "--filename",
      "run.nxs",
      "--job-id",
      JOB,
      "--wait",
    ]);
    await started.line(/^accepted by stand-in: ok$/, 60_000);
    await started.line(/^status stand-in: writing run\.nxs \(stop none\)$/);
    const seen = await runNxflow(["job", "status", ...broker, ...control, ...status, "--seconds", "2"]);
    assert.equal(seen.code, 0, seen.stderr);
    assert.match(seen.stdout, new RegExp(`^stand-in  writing  job=${JOB}  file=run\\.nxs$`, "m"));
    const stop = await runNxflow(["job", "stop", ...broker, ...control, "--job-id", JOB]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^accepted by stand-in: ok$/m);
    await started.line(/^finished: \/out\/run\.nxs$/);
    assert.equal((await started.child.status).code, 0);
    const refused = await runNxflow([...start, "--structure", `${dir}/s.json`, "--filename", "refuse.nxs"]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stdout, /^refused \(400\): no$/m);
  } finally {
    if (started) await reap(started);
    await stopWriter();
    await kafka.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
