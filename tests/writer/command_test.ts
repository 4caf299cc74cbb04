/**
 * The file writer's command checks, output paths, status and replies (`actors/writer/command/`): every refusal with
 * its message, UUID edge cases, path confinement and the file checks, and the x5f2/answ/wrdn messages decoded back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkOutputPath, PathError, resolveOutputPath } from "../../actors/writer/command/paths.ts";
import { answMessage, readReply, wrdnMessage } from "../../actors/writer/command/replies.ts";
import { readStatus, serviceId, statusJson, statusMessage } from "../../actors/writer/command/status.ts";
import { isUuid, validateStart, validateStop } from "../../actors/writer/command/validate.ts";
import { NO_STOP_TIME_MS } from "../../protocols/writer.ts";
import { answ, pl72, runStop, wrdn, x5f2 } from "../../schemas/mod.ts";
import type { RunStartInput } from "../../schemas/pl72/codec.ts";

const JOB = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const COMMAND = "c0ffee00-1234-4abc-8def-0123456789ab";
const NOW = 1_700_000_000_000;
const GOOD: RunStartInput = {
  job_id: JOB,
  filename: "run1.nxs",
  nexus_structure: '{"children":[]}',
  control_topic: "control",
  start_time: 1_600_000_000_000,
  stop_time: 1_600_000_060_000,
  metadata: '{"proposal":42}',
  run_name: "run 1",
  instrument_name: "",
};

function refusal(input: RunStartInput): string {
  const r = validateStart(pl72.encode(input), NOW);
  assert.equal(r.ok, false);
  if (r.ok) throw new Error("unreachable");
  assert.equal(r.code, 400);
  assert.equal(r.jobId, input.job_id ?? "");
  return r.message;
}

Deno.test("validateStart accepts a complete pl72 and keeps its fields and bytes", () => {
  const bytes = pl72.encode(GOOD);
  const r = validateStart(bytes, NOW);
  assert.ok(r.ok);
  assert.deepEqual(r.start, {
    jobId: JOB,
    filename: "run1.nxs",
    structure: '{"children":[]}',
    startMs: 1_600_000_000_000,
    stopMs: 1_600_000_060_000,
    metadata: '{"proposal":42}',
    controlTopic: "control",
    runName: "run 1",
    instrumentName: "",
    raw: bytes,
  });
});

Deno.test("validateStart: start 0 is now, stop 0 (or beyond) is no stop time, stop equal to start is allowed", () => {
  const open = validateStart(pl72.encode({ ...GOOD, start_time: 0, stop_time: 0, metadata: undefined }), NOW);
  assert.ok(open.ok);
  assert.equal(open.start.startMs, NOW);
  assert.equal(open.start.stopMs, NO_STOP_TIME_MS);
  assert.equal(open.start.metadata, "");
  const huge = validateStart(pl72.encode({ ...GOOD, stop_time: 2n ** 64n - 1n }), NOW);
  assert.ok(huge.ok);
  assert.equal(huge.start.stopMs, NO_STOP_TIME_MS);
  const instant = validateStart(pl72.encode({ ...GOOD, stop_time: GOOD.start_time }), NOW);
  assert.ok(instant.ok);
  assert.equal(instant.start.stopMs, instant.start.startMs);
});

Deno.test("validateStart refuses missing fields with kafka-to-nexus's extraction message", () => {
  assert.equal(
    refusal({ ...GOOD, job_id: undefined }),
    "Failed to extract start command from flatbuffer: job_id is missing, this field is required",
  );
  assert.equal(
    refusal({ ...GOOD, filename: "", nexus_structure: undefined }),
    "Failed to extract start command from flatbuffer: nexus_structure is missing, this field is required; " +
      "filename is missing, this field is required",
  );
});

Deno.test("validateStart refuses a bad job id, an empty control topic, a stop before the start, a far start", () => {
  assert.equal(
    refusal({ ...GOOD, job_id: "job-1" }),
    "Rejected start command as the job id was invalid (it was: job-1); it must be a UUID",
  );
  assert.match(refusal({ ...GOOD, job_id: "00000000-0000-0000-0000-000000000000" }), /job id was invalid/);
  assert.equal(
    refusal({ ...GOOD, control_topic: "" }),
    "Rejected start command as the control topic was empty; a control topic is required",
  );
  assert.match(refusal({ ...GOOD, control_topic: undefined }), /control topic was empty/);
  assert.equal(
    refusal({ ...GOOD, stop_time: 1_599_999_999_999 }),
    "Rejected start command as the stop time (2020-09-13T12:26:39.999Z) is before the start time " +
      "(2020-09-13T12:26:40.000Z)",
  );
  assert.equal(
    refusal({ ...GOOD, start_time: 0, stop_time: NOW - 1 }),
    "Rejected start command as the stop time (2023-11-14T22:13:19.999Z) is before the start time " +
      "(2023-11-14T22:13:20.000Z)",
  );
  assert.equal(
    refusal({ ...GOOD, start_time: NO_STOP_TIME_MS + 1, stop_time: 0 }),
    `Rejected start command as the start time ${NO_STOP_TIME_MS + 1} ms is out of range`,
  );
});

Deno.test("validateStart refuses a buffer that is not a pl72, with no job id", () => {
  for (const bytes of [new Uint8Array(5), runStop.encode({ job_id: JOB }), pl72.encode(GOOD).subarray(0, 20)]) {
    const r = validateStart(bytes, NOW);
    assert.equal(r.ok, false);
    if (r.ok) continue;
    assert.equal(r.jobId, "");
    assert.match(r.message, /^Failed to extract start command from flatbuffer: /);
  }
});

Deno.test("isUuid accepts canonical RFC-variant UUIDs of either case, refuses nil, max, other variants, forms", () => {
  assert.ok(isUuid(JOB));
  assert.ok(isUuid(JOB.toUpperCase()));
  assert.ok(isUuid(crypto.randomUUID()));
  assert.ok(isUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8")); // a version-1 UUID (file-writer-control's uuid1)
  for (
    const bad of [
      "",
      "00000000-0000-0000-0000-000000000000",
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
      "3f2504e0-4f89-41d3-ca0c-0305e82c3301", // Microsoft variant (c)
      "3f2504e0-4f89-41d3-7a0c-0305e82c3301", // NCS variant (7)
      "3f2504e04f8941d39a0c0305e82c3301",
      `{${JOB}}`,
      ` ${JOB}`,
      `${JOB}0`,
      "3f2504e0-4f89-41d3-9a0c-0305e82c330g",
    ]
  ) assert.equal(isUuid(bad), false, bad);
});

function stopRefusal(bytes: Uint8Array, running: string[]): { message: string; jobId: string; commandId: string } {
  const r = validateStop(bytes, running);
  assert.equal(r.ok, false);
  if (r.ok) throw new Error("unreachable");
  assert.equal(r.code, 400);
  return { message: r.message, jobId: r.jobId, commandId: r.commandId };
}

Deno.test("validateStop accepts a stop of a running job; stop time 0 means now", () => {
  const r = validateStop(runStop.encode({ job_id: JOB, command_id: COMMAND, stop_time: 1234 }), ["other", JOB]);
  assert.deepEqual(r, { ok: true, stop: { jobId: JOB, commandId: COMMAND, stopMs: 1234 } });
  const now = validateStop(runStop.encode({ job_id: JOB, command_id: COMMAND }), [JOB]);
  assert.deepEqual(now, { ok: true, stop: { jobId: JOB, commandId: COMMAND, stopMs: 0 } });
});

Deno.test("validateStop refuses with the ids it could read: idle, other job, bad command id, no job id, not 6s4t", () => {
  const stop = runStop.encode({ job_id: JOB, command_id: COMMAND });
  assert.deepEqual(stopRefusal(stop, []), {
    message: "Rejected stop command as there is no write job in progress",
    jobId: JOB,
    commandId: COMMAND,
  });
  const other = "11111111-2222-4333-8444-555555555555";
  assert.equal(
    stopRefusal(stop, [other]).message,
    `Rejected stop command as the job id was invalid (it should be ${other}, it was: ${JOB})`,
  );
  assert.deepEqual(stopRefusal(runStop.encode({ job_id: JOB, command_id: "cmd-7" }), [JOB]), {
    message: "Rejected stop command as the command id was invalid (it was: cmd-7); it must be a UUID",
    jobId: JOB,
    commandId: "cmd-7",
  });
  assert.match(stopRefusal(runStop.encode({ job_id: JOB }), [JOB]).message, /command id was invalid \(it was: \)/);
  assert.equal(
    stopRefusal(runStop.encode({ command_id: COMMAND }), [JOB]).message,
    "Failed to extract stop command from flatbuffer: job_id is missing, this field is required",
  );
  const notStop = stopRefusal(pl72.encode(GOOD), [JOB]);
  assert.equal(notStop.jobId, "");
  assert.match(notStop.message, /^Failed to extract stop command from flatbuffer: 6s4t: file identifier is "pl72"/);
});

Deno.test("resolveOutputPath confines the file name to the prefix", () => {
  assert.equal(resolveOutputPath("/data", "run1.nxs"), "/data/run1.nxs");
  assert.equal(resolveOutputPath("/data/", "sub/dir/run1.nxs"), "/data/sub/dir/run1.nxs");
  assert.equal(resolveOutputPath("/data", "/tmp/run1.nxs"), "/data/tmp/run1.nxs");
  assert.equal(resolveOutputPath("/data", "//a/./b//c.nxs"), "/data/a/b/c.nxs");
  assert.equal(resolveOutputPath(".", "run1.nxs"), "run1.nxs");
  assert.equal(resolveOutputPath("out", "..x/y..nxs"), "out/..x/y..nxs");
  const cases: [string, RegExp][] = [
    ["", /the file name is empty/],
    ["  ", /the file name is empty/],
    ["../run1.nxs", /must stay inside the output prefix: "\.\.\/run1\.nxs" has a "\.\." segment/],
    ["a/../../b.nxs", /must stay inside the output prefix/],
    ["/..", /must stay inside the output prefix/],
    ["/", /names no file/],
    ["./.", /names no file/],
    ["a\0b", /NUL character/],
  ];
  for (const [name, message] of cases) {
    assert.throws(() => resolveOutputPath("/data", name), (e) => e instanceof PathError && e.code === 400, name);
    assert.throws(() => resolveOutputPath("/data", name), message);
  }
});

Deno.test("checkOutputPath refuses an existing file, a missing folder, a folder that is a file (500)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await checkOutputPath(join(dir, "new.nxs"));
    await Deno.writeTextFile(join(dir, "old.nxs"), "");
    await Deno.symlink(join(dir, "nowhere"), join(dir, "dangling.nxs"));
    const cases: [string, string][] = [
      [join(dir, "old.nxs"), `a file with that name already exists: ${join(dir, "old.nxs")}`],
      [join(dir, "dangling.nxs"), `a file with that name already exists: ${join(dir, "dangling.nxs")}`],
      [join(dir, "missing", "new.nxs"), `the folder ${join(dir, "missing")} does not exist`],
      [join(dir, "old.nxs", "new.nxs"), `${join(dir, "old.nxs")} is not a folder`],
    ];
    for (const [path, message] of cases) {
      await assert.rejects(checkOutputPath(path), (e) => e instanceof PathError && e.code === 500, path);
      await assert.rejects(checkOutputPath(path), { message });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("statusJson: idle and writing, in kafka-to-nexus's field order", () => {
  assert.equal(
    statusJson(null),
    '{"state":"idle","job_id":"not_currently_writing","file_being_written":"","start_time":0,"stop_time":0}',
  );
  assert.equal(
    statusJson({ jobId: JOB, filename: "run1.nxs", startMs: 1000, stopMs: NO_STOP_TIME_MS }),
    `{"state":"writing","job_id":"${JOB}","file_being_written":"run1.nxs","start_time":1000,` +
      `"stop_time":9223372036854}`,
  );
});

Deno.test("serviceId: host and pid by default, the service name when given, 4 random hex digits", () => {
  const host = Deno.hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  assert.match(serviceId(), new RegExp(`^nxflow-writer:${host}-pid:${Deno.pid}-[0-9a-f]{4}$`));
  assert.match(serviceId("writer-loki"), new RegExp(`^writer-loki-pid:${Deno.pid}-[0-9a-f]{4}$`));
});

Deno.test("statusMessage, answMessage and wrdnMessage decode back to what was given", () => {
  const status = x5f2.decode(statusMessage({ serviceId: "w1", version: "0.1.0", intervalMs: 2000, statusJson: "{}" }));
  assert.deepEqual(status, {
    software_name: "nxflow-writer",
    software_version: "0.1.0",
    service_id: "w1",
    host_name: Deno.hostname(),
    process_id: Deno.pid,
    update_interval: 2000,
    status_json: "{}",
  });
  const answer = answ.decode(answMessage({
    serviceId: "w1",
    jobId: JOB,
    action: "SetStopTime",
    outcome: "Failure",
    statusCode: 400,
    stopMs: NO_STOP_TIME_MS,
    message: "no",
    commandId: COMMAND,
  }));
  assert.deepEqual(answer, {
    service_id: "w1",
    job_id: JOB,
    action: "SetStopTime",
    outcome: "Failure",
    status_code: 400,
    stop_time: BigInt(NO_STOP_TIME_MS),
    message: "no",
    command_id: COMMAND,
  });
  const ok = wrdn.decode(wrdnMessage({ serviceId: "w1", jobId: JOB, fileName: "/d/run1.nxs", metadata: "{}" }));
  assert.deepEqual(ok, {
    service_id: "w1",
    job_id: JOB,
    error_encountered: false,
    file_name: "/d/run1.nxs",
    metadata: "{}",
    message: "",
  });
  const failed = wrdn.decode(
    wrdnMessage({ serviceId: "w1", jobId: JOB, error: "topic x missing", fileName: "f", metadata: "" }),
  );
  assert.equal(failed.error_encountered, true);
  assert.equal(failed.message, "topic x missing");
});

Deno.test("readReply and readStatus read back what the encoders wrote; other messages give null", () => {
  const a = {
    serviceId: "w1",
    jobId: JOB,
    action: "StartJob" as const,
    outcome: "Success" as const,
    statusCode: 201,
    stopMs: 1234,
    message: "Started",
    commandId: JOB,
  };
  assert.deepEqual(readReply(answMessage(a)), { kind: "answ", ...a });
  const w = { serviceId: "w1", jobId: JOB, fileName: "/d/f.nxs", metadata: "{}" };
  assert.deepEqual(readReply(wrdnMessage(w)), { kind: "wrdn", ...w });
  assert.deepEqual(readReply(wrdnMessage({ ...w, error: "failed" })), { kind: "wrdn", ...w, error: "failed" });
  const job = { jobId: JOB, filename: "f.nxs", startMs: 5, stopMs: NO_STOP_TIME_MS };
  const message = (json: string) => statusMessage({ serviceId: "w1", version: "v", intervalMs: 1, statusJson: json });
  assert.deepEqual(readStatus(message(statusJson(job))), {
    serviceId: "w1",
    softwareName: "nxflow-writer",
    state: "writing",
    job,
    intervalMs: 1,
  });
  assert.deepEqual(readStatus(message(statusJson(null))), {
    serviceId: "w1",
    softwareName: "nxflow-writer",
    state: "idle",
    job: null,
    intervalMs: 1,
  });
  for (const other of [message("{}"), message("not json"), message("[1]"), pl72.encode(GOOD), new Uint8Array(4)]) {
    assert.equal(readStatus(other), null);
    assert.equal(readReply(other), null);
  }
  assert.equal(readReply(answMessage(a).subarray(0, 30)), null);
});
