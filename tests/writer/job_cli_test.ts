/**
 * `nxflow job` (`actors/cli/job.ts`, `job_watch.ts`): its help and bad options as a process (exit 2), argument
 * parsing, how it reads the writer's answ, x5f2 and wrdn messages, and, end to end, the command against a real
 * `nxflow writer` process on a real Kafka, its files read back with h5py.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONTROL_TOPIC, parseJobArgs, type StartArgs } from "../../actors/cli/job.ts";
import { JOB_EXIT, statusLine, watchStart, watchStop } from "../../actors/cli/job_watch.ts";
import { UsageError } from "../../actors/cli/command.ts";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import { produceRecords } from "../../actors/broker/client.ts";
import { answMessage, wrdnMessage } from "../../actors/writer/command/replies.ts";
import { readStatus, statusJson, statusMessage } from "../../actors/writer/command/status.ts";
import { isUuid } from "../../actors/writer/command/validate.ts";
import { NO_STOP_TIME_MS } from "../../protocols/writer.ts";
import { pl72 } from "../../schemas/mod.ts";
import { objectAt, readH5 } from "../_harness/h5py.ts";
import { startKafka } from "../_harness/kafka.ts";
import { type NxflowProcess, reap, runNxflow, spawnNxflow } from "../_harness/process.ts";
import { eventually } from "../_harness/wait.ts";
import { events, ns } from "./messages.ts";

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
    [[...START, "--sasl", "kerberos"], /--sasl \(kafka\.sasl\.mechanism\): one of plain, scram-sha-256, scram-sha-512/],
    [[...START, "--sasl", "plain"], /SASL plain: --sasl-username \(kafka\.sasl\.username\) is required/],
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
    nextWithinMs: 60_000,
  });
  assert.deepEqual(wait(writing(JOB)), { line: "status w1: writing run.nxs (stop none)", nextWithinMs: 10_000 });
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

/** A structure with a static title and the events of source det0 on `topic`. */
const structure = (topic: string) => ({
  children: [{
    type: "group",
    name: "entry",
    attributes: { NX_class: "NXentry" },
    children: [
      { module: "dataset", config: { name: "title", values: "job CLI run", dtype: "string" } },
      { type: "group", name: "events", children: [{ module: "ev44", config: { topic, source: "det0" } }] },
    ],
  }],
});

Deno.test("nxflow job start, stop and status against a real nxflow writer process on Kafka", async (t) => {
  const kafka = await startKafka({ heapMb: 512 });
  const dir = await Deno.makeTempDir({ prefix: "nxflow-job-" });
  const topics = { pool: "job_pool", status: "job_status", control: "job_control", events: "job_events" };
  const processes: NxflowProcess[] = [];
  try {
    const admin = await BrokerAdmin.connect(kafka.connection);
    await admin.createTopics([{ topic: topics.events }]);
    await admin.close();
    await Deno.writeTextFile(`${dir}/s.json`, JSON.stringify(structure(topics.events)));
    const writer = spawnNxflow([
      ...["writer", "--brokers", kafka.bootstrap, "--hdf-output-prefix", dir, "--service-name", "jobtest"],
      ...["--job-pool-topic", topics.pool, "--command-status-topic", topics.status, "--no-admin"],
      ...["--status-master-interval", "500ms", "--time-after-stop", "1s", "--data-flush-interval", "1s"],
    ]);
    processes.push(writer);
    const id = "jobtest-pid:\\d+-[0-9a-f]{4}";
    const on = ["--brokers", kafka.bootstrap, "--control-topic", topics.control];
    const status = ["job", "status", ...on, "--command-status-topic", topics.status, "--seconds", "2"];
    const start = ["job", "start", ...on, "--command-status-topic", topics.status, "--job-pool-topic", topics.pool];
    const good = ["--structure", `${dir}/s.json`];

    let writerEnded = false;
    void writer.child.status.then(() => writerEnded = true);
    const up = await t.step("job status prints the idle writer's status line", async () => {
      const seen = await eventually(
        "an idle status line",
        () => {
          if (writerEnded) throw new Error(`nxflow writer ended:\n${writer.lines.join("\n")}`);
          return runNxflow(status);
        },
        (out) => out.code === 0,
        60_000,
      );
      assert.match(seen.stdout, new RegExp(`^${id}  idle  job=-  file=-$`, "m"));
    });
    if (!up) return; // the other steps need the writer

    await t.step("job start --stop +3s --wait: accepted, writing, finished; h5py reads the file", async () => {
      const t0 = Date.now();
      await produceRecords(
        kafka.connection,
        [0, 1, 2].map((k) => ({
          topic: topics.events,
          value: events("det0", k, t0 + 10 * k, [k + 1, k + 2], [10 * k, 10 * k + 1]),
          timestampMs: t0 + 10 * k,
        })),
      );
      const jobId = crypto.randomUUID();
      const run = await runNxflow([
        ...[...start, ...good, "--filename", "run.nxs", "--job-id", jobId],
        ...["--start", String(t0), "--stop", "+3s", "--wait"],
      ]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const stop = new Date(t0 + 3000).toISOString();
      const lines = run.stdout.trim().split("\n");
      assert.equal(lines[0], `job ${jobId}: start (${new Date(t0).toISOString()}) to ${topics.pool}, file run.nxs`);
      assert.match(lines[1], new RegExp(`^accepted by ${id}: `));
      assert.match(lines[2], new RegExp(`^status ${id}: writing run\\.nxs \\(stop ${stop}\\)$`));
      assert.equal(lines.at(-1), `finished: ${dir}/run.nxs`);
      const file = await readH5(`${dir}/run.nxs`);
      assert.equal(objectAt(file, "/entry/title").value, "job CLI run");
      assert.deepEqual(objectAt(file, "/entry/events").attrs, {
        ...{ NX_class: "NXevent_data", topic: topics.events, source: "det0", writer_module: "ev44" },
      });
      assert.deepEqual(objectAt(file, "/entry/events/event_id").value, [0, 1, 10, 11, 20, 21]);
      assert.deepEqual(objectAt(file, "/entry/events/event_time_offset").value, [1, 2, 2, 3, 3, 4]);
      assert.deepEqual(
        objectAt(file, "/entry/events/event_time_zero").value,
        [0, 1, 2].map((k) => String(ns(t0 + 10 * k))),
      );
    });

    await t.step(
      "refused starts (the file exists, not a structure) exit 1 with the writer's message",
      async () => {
        await Deno.writeTextFile(`${dir}/exists.nxs`, "precious");
        await Deno.writeTextFile(`${dir}/list.json`, "[]");
        const cases = [
          ["exists.nxs", `${dir}/s.json`, `a file with that name already exists: ${dir}/exists.nxs`],
          ["list.nxs", `${dir}/list.json`, "Could not parse NeXus structure JSON: the top level must be a JSON object"],
        ];
        for (const [filename, file, why] of cases) {
          const refused = await runNxflow([...start, "--structure", file, "--filename", filename, "--wait"]);
          assert.equal(refused.code, JOB_EXIT.failed, refused.stdout + refused.stderr);
          const line = refused.stdout.split("\n").find((l) => l.startsWith("refused"));
          assert.ok(line?.startsWith(`refused (500): Failed to start filewriting job: ${why}`), refused.stdout);
        }
        assert.equal(await Deno.readTextFile(`${dir}/exists.nxs`), "precious");
        await assert.rejects(Deno.stat(`${dir}/list.nxs`), Deno.errors.NotFound);
      },
    );

    await t.step(
      "job stop: a wrong job is refused, a stop time is set, stop now ends the job; start --wait follows",
      async () => {
        const jobId = crypto.randomUUID();
        const open = spawnNxflow([...start, ...good, "--filename", "open.nxs", "--job-id", jobId, "--wait"]);
        processes.push(open);
        await open.line(new RegExp(`^accepted by ${id}: `), 60_000);
        await open.line(new RegExp(`^status ${id}: writing open\\.nxs \\(stop none\\)$`), 30_000);
        const seen = await runNxflow(status);
        assert.equal(seen.code, 0, seen.stderr);
        assert.match(seen.stdout, new RegExp(`^${id}  writing  job=${jobId}  file=open\\.nxs$`, "m"));
        const other = crypto.randomUUID();
        const wrong = await runNxflow(["job", "stop", ...on, "--job-id", other]);
        assert.equal(wrong.code, JOB_EXIT.failed, wrong.stdout + wrong.stderr);
        const why =
          `refused (400): Rejected stop command as the job id was invalid (it should be ${jobId}, it was: ${other})`;
        assert.equal(wrong.stdout.trim().split("\n").at(-1), why);
        const later = Date.parse("2099-01-01T00:00:00Z");
        const set = await runNxflow(["job", "stop", ...on, "--job-id", jobId, "--stop", String(later)]);
        assert.equal(set.code, 0, set.stdout + set.stderr);
        const setLine = `${id}: File writing job stop time set to: 2099-01-01T00:00:00\\.000Z`;
        assert.match(set.stdout, new RegExp(`^accepted by ${setLine}$`, "m"));
        await open.line(new RegExp(`^stop accepted by ${setLine}$`));
        const stop = await runNxflow(["job", "stop", ...on, "--job-id", jobId]);
        assert.equal(stop.code, 0, stop.stdout + stop.stderr);
        assert.match(stop.stdout, new RegExp(`^accepted by ${id}: Attempting to stop writing job now\\.$`, "m"));
        assert.equal(await open.line(/^finished: /, 30_000), `finished: ${dir}/open.nxs`);
        assert.equal((await open.child.status).code, JOB_EXIT.ok);
        assert.equal(objectAt(await readH5(`${dir}/open.nxs`), "/entry/title").value, "job CLI run");
      },
    );

    await t.step("after the jobs job status shows the writer idle again, and the writer stops on SIGTERM", async () => {
      const seen = await runNxflow(status);
      assert.equal(seen.code, 0, seen.stderr);
      assert.match(seen.stdout, new RegExp(`^${id}  idle  job=-  file=-$`, "m"));
      writer.child.kill("SIGTERM");
      assert.equal((await writer.child.status).code, 0, writer.lines.join("\n"));
    });
  } finally {
    for (const p of processes) await reap(p);
    if (Deno.env.get("NXFLOW_TEST_LOG")) console.error(processes[0]?.lines.join("\n"));
    await kafka.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
