import assert from "node:assert/strict";
import { runNxflow } from "../_harness/process.ts";
import denoJson from "../../deno.json" with { type: "json" };

Deno.test("nxflow --version prints the version and the git commit", async () => {
  const { code, stdout } = await runNxflow(["--version"]);
  assert.equal(code, 0);
  assert.match(
    stdout,
    new RegExp(`^nxflow ${denoJson.version.replaceAll(".", "\\.")}\\+[0-9a-f]{12}(\\.dirty)? \\(deno `),
  );
});

Deno.test("nxflow --help lists the commands; nxflow <command> --help explains its options", async () => {
  const top = await runNxflow(["--help"]);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /start +run the supervision tree/);
  assert.match(top.stdout, /chaos +make an actor/);
  const start = await runNxflow(["start", "--help"]);
  assert.equal(start.code, 0);
  assert.match(start.stdout, /--enable-fault-injection/);
});

Deno.test("nxflow with an unknown command or option exits 2 and says what is wrong", async () => {
  const unknown = await runNxflow(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const option = await runNxflow(["chaos", "--actor", "x", "--fault", "melt"]);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /--fault must be one of crash, hang, exit/);
  const flag = await runNxflow(["start", "--no-such-flag"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /Unknown option '--no-such-flag'/);
});

Deno.test("nxflow start refuses a bad configuration file at start-up, naming the field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [unknown, RegExp][] = [
      [{ admin: { prot: 1 } }, /config\.admin\.prot: unknown key/],
      [{ roles: { sim: { pulseHz: "fast" } } }, /config\.roles\.sim\.pulseHz: must be a number/],
      [{ roles: { efu9: {} } }, /config\.roles\.efu9: unknown role/],
      [{ roles: { sim: { enabled: false } } }, /enables no role/],
      [
        { roles: { efu: { brokers: "k:9092" } } },
        /roles\.efu\.brokers: roles have no Kafka settings of their own; every role uses the "kafka" section/,
      ],
      [{ roles: { forwarder: { kafka: {} } } }, /roles\.forwarder\.kafka: roles have no Kafka settings of their own/],
      [{ kafka: { tls: { caFile: "/ca.pem" } } }, /config\.kafka\.tls\.caFile: TLS is off/],
    ];
    for (const [config, message] of cases) {
      await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify(config));
      const { code, stderr } = await runNxflow(["start", "--config", `${dir}/c.json`]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
    }
    await Deno.writeTextFile(`${dir}/c.json`, "{ not json");
    const broken = await runNxflow(["start", "--config", `${dir}/c.json`]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /Cannot parse the configuration file .*c\.json as JSON/);
    const missing = await runNxflow(["start", "--config", `${dir}/none.json`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read the configuration file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nxflow start checks the Kafka flags: SASL needs credentials, and the password file must be readable", async () => {
  const half = await runNxflow(["start", "--brokers", "127.0.0.1:1", "--sasl", "scram-sha-512"]);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /Cannot use SASL scram-sha-512: --sasl-username \(kafka\.sasl\.username\) is required/);
  const odd = await runNxflow(["start", "--brokers", "127.0.0.1:1", "--sasl", "kerberos"]);
  assert.equal(odd.code, 2);
  assert.match(
    odd.stderr,
    /--sasl \(kafka\.sasl\.mechanism\): one of plain, scram-sha-256, scram-sha-512, not "kerberos"/,
  );
  const missing = await runNxflow([
    "start",
    "--brokers",
    "127.0.0.1:1",
    "--sasl",
    "plain",
    "--sasl-username",
    "nxflow",
    "--sasl-password-file",
    "/nonexistent/kafka.pass",
  ]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stdout + missing.stderr,
    /cannot start: Cannot read the Kafka password file \/nonexistent\/kafka\.pass/,
  );
});

Deno.test("nxflow run: help, and usage errors exit 2 before any Kafka is asked", async () => {
  const help = await runNxflow(["run", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /nxflow run start \[--duration D\] \[--title T\] \[--wait\] \[--structure FILE\]/);
  assert.match(help.stdout, /nexus_structure\.json/);
  const cases: [string[], RegExp][] = [
    [["run"], /give start or stop/],
    [["run", "begin"], /give start or stop, not "begin"/],
    [["run", "stop", "--title", "x"], /--title is an option of run start/],
    [["run", "start", "--duration", "0s"], /--duration must be above 0/],
    [["run", "start", "--duration", "soon"], /--duration/],
    [["run", "start", "--structure", "/nonexistent.json"], /cannot read --structure \/nonexistent\.json/],
  ];
  for (const [args, message] of cases) {
    const r = await runNxflow(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

Deno.test("nxflow chaos --soak: usage errors exit 2; no instance is exit 2", async () => {
  const bad = await runNxflow(["chaos", "--soak", "--interval", "soon"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--interval/);
  const hangs = await runNxflow(["chaos", "--soak", "--max-hangs=-1"]);
  assert.equal(hangs.code, 2);
  assert.match(hangs.stderr, /--max-hangs: 0 or more/);
  const none = await runNxflow(["chaos", "--soak", "--duration", "1s", "--admin", "http://127.0.0.1:9"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /cannot reach the admin endpoint/);
});
