/**
 * The one set of Kafka options: the flag parser (`kafkaFromFlags`), the `kafka` section check, reading the secret
 * files (`connectKafka`), and that every command talking to Kafka lists the same help block and goes through the
 * same parser (same message, same exit code for the same mistake).
 */
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { UsageError } from "../../actors/cli/command.ts";
import { COMMANDS } from "../../actors/cli/commands.ts";
import {
  checkKafkaSection,
  connectKafka,
  KAFKA_DEFAULTS,
  KAFKA_FLAGS,
  kafkaDefaults,
  KafkaFileError,
  kafkaFromFlags,
  kafkaHelp,
} from "../../actors/cli/kafka_config.ts";
import { runNxflow } from "../_harness/process.ts";

/** Parses `args` as a command holding the Kafka flags (and `aliases` for --brokers) does. */
function flags(args: string[], aliases: string[] = [], base = kafkaDefaults("nxflow-test")) {
  const options = { ...KAFKA_FLAGS, ...Object.fromEntries(aliases.map((a) => [a, { type: "string" as const }])) };
  return kafkaFromFlags(parseArgs({ args, options, strict: true }).values, base, aliases);
}

Deno.test("kafkaFromFlags: no flags give the command's defaults (local Kafka, no SASL, no TLS)", () => {
  assert.deepEqual(flags([]), { ...KAFKA_DEFAULTS, clientId: "nxflow-test" });
});

Deno.test("kafkaFromFlags: every flag lands in its field; the mechanism in any case; a --tls-*-file implies --tls", () => {
  const k = flags([
    ...["--brokers", "k1:9093, k2:9093", "--client-id", "me", "--sasl", "SCRAM-SHA-512"],
    ...["--sasl-username", "nxflow", "--sasl-password-file", "/p", "--tls-ca-file", "/ca.pem"],
    ...["--tls-cert-file", "/c.pem", "--tls-key-file", "/k.pem"],
  ]);
  assert.deepEqual(k.brokers, ["k1:9093", "k2:9093"]);
  assert.equal(k.clientId, "me");
  assert.deepEqual(k.sasl, { mechanism: "scram-sha-512", username: "nxflow", passwordFile: "/p" });
  assert.deepEqual(k.tls, { enabled: true, caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem" });
  assert.equal(flags(["--tls"]).tls.enabled, true);
  assert.equal(flags(["--tls-ca-file", "/ca.pem"]).tls.enabled, true);
});

Deno.test("kafkaFromFlags: flags override the configuration's section field by field", () => {
  const base = checkKafkaSection({
    brokers: ["file:9092"],
    clientId: "from-file",
    sasl: { mechanism: "plain", username: "u", passwordFile: "/file.pass" },
  });
  const k = flags(["--sasl-password-file", "/flag.pass", "--tls"], [], base);
  assert.deepEqual(k.brokers, ["file:9092"]);
  assert.equal(k.clientId, "from-file");
  assert.deepEqual(k.sasl, { mechanism: "plain", username: "u", passwordFile: "/flag.pass" });
  assert.equal(k.tls.enabled, true);
  assert.deepEqual(base.sasl.passwordFile, "/file.pass", "the base is not changed");
});

Deno.test("kafkaFromFlags: a command's older name for --brokers is the same list; both at once are refused", () => {
  assert.deepEqual(flags(["--output-broker", "k:9092"], ["output-broker"]).brokers, ["k:9092"]);
  assert.throws(
    () => flags(["--output-broker", "k:9092", "--brokers", "k:9092"], ["output-broker"]),
    (e: Error) => e instanceof UsageError && /give --brokers or --output-broker, not both/.test(e.message),
  );
  assert.throws(() => flags(["--output-broker", "k"], ["output-broker"]), /--output-broker: each must be "host:port"/);
});

Deno.test("kafkaFromFlags refuses bad values with a UsageError naming the flag (and the file's field)", () => {
  const cases: [string[], RegExp][] = [
    [["--brokers", ""], /--brokers takes host:port/],
    [["--brokers", "k1:9092,nohost"], /--brokers: each must be "host:port", got "nohost"/],
    [
      ["--sasl", "kerberos"],
      /--sasl \(kafka\.sasl\.mechanism\): one of plain, scram-sha-256, scram-sha-512, not "kerberos"/,
    ],
    [["--sasl", "plain"], /SASL plain: --sasl-username \(kafka\.sasl\.username\) is required/],
    [
      ["--sasl", "plain", "--sasl-username", "u"],
      /SASL plain: --sasl-password-file \(kafka\.sasl\.passwordFile\) is required/,
    ],
    [["--sasl-username", "u"], /--sasl-username \(kafka\.sasl\.username\): it needs a SASL mechanism, --sasl/],
    [["--tls-cert-file", "/c.pem"], /give both or neither/],
    [["--client-id", ""], /--client-id \(kafka\.clientId\): must not be empty/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => flags(args), (e: Error) => e instanceof UsageError && message.test(e.message), args.join(" "));
  }
});

Deno.test("checkKafkaSection names the configuration file's fields", () => {
  const cases: [unknown, RegExp][] = [
    [{ tls: { caFile: "/ca.pem" } }, /config\.kafka\.tls\.caFile: TLS is off \(config\.kafka\.tls\.enabled\)/],
    [{ sasl: { mechanism: "gssapi" } }, /config\.kafka\.sasl\.mechanism: one of plain/],
    [{ brokers: ["a:1", "b"] }, /config\.kafka\.brokers: each must be "host:port", got "b"/],
    [{ port: 9092 }, /config\.kafka\.port: unknown key/],
    [{ requestTimeoutMs: 0 }, /config\.kafka\.requestTimeoutMs: must be above 0/],
  ];
  for (const [section, message] of cases) assert.throws(() => checkKafkaSection(section), message);
});

Deno.test("connectKafka reads the password and PEM files; an unreadable one is a KafkaFileError without secrets", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/pass`, "s3cret\n");
    await Deno.writeTextFile(`${dir}/ca.pem`, "-----BEGIN CERTIFICATE-----\nCA\n");
    const lines: string[] = [];
    const k = flags([
      ...["--brokers", "k:9093", "--sasl", "scram-sha-256", "--sasl-username", "nx"],
      ...["--sasl-password-file", `${dir}/pass`, "--tls-ca-file", `${dir}/ca.pem`],
    ]);
    const options = await connectKafka(k, (line) => lines.push(line));
    assert.deepEqual(options.sasl, { mechanism: "scram-sha-256", username: "nx", password: "s3cret" });
    assert.deepEqual(options.tls, { ca: "-----BEGIN CERTIFICATE-----\nCA\n", cert: undefined, key: undefined });
    assert.deepEqual([options.brokers, options.clientId], [["k:9093"], "nxflow-test"]);
    assert.deepEqual(lines, ["Kafka: k:9093 over TLS as nx (SASL scram-sha-256)"]);
    assert.ok(!lines.join().includes("s3cret"));
    assert.equal((await connectKafka(flags(["--brokers", "k:9093", "--tls"]), () => {})).tls, true);
    const missing = [
      [["--sasl", "plain", "--sasl-username", "nx", "--sasl-password-file", `${dir}/none`], /the Kafka password file/],
      [["--tls-ca-file", `${dir}/none.pem`], /the Kafka CA file .*none\.pem/],
    ] as const;
    for (const [args, message] of missing) {
      const error = await connectKafka(flags(["--brokers", "k:9093", ...args]), () => {}).catch((e) => e);
      assert.ok(error instanceof KafkaFileError, String(error));
      assert.match(error.message, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every command that talks to Kafka; readout-gen, encode and chaos do not. */
const KAFKA_COMMANDS = ["start", "writer", "job", "run", "efu", "forwarder", "forwarder-config", "inspect"];

Deno.test("every command that talks to Kafka lists the same Kafka options block in its --help", () => {
  const block = kafkaHelp("X").split("\n").filter((line) => !line.includes("--client-id"));
  for (const command of COMMANDS) {
    const lines = command.help.split("\n");
    const has = block.filter((line) => lines.includes(line));
    if (KAFKA_COMMANDS.includes(command.name)) {
      assert.deepEqual(has, block, command.name);
      assert.ok(lines.some((l) => /^ {2}--client-id ID {13}Kafka client id \(default nxflow/.test(l)), command.name);
    } else {
      assert.deepEqual(has, [], command.name);
    }
  }
  assert.deepEqual(COMMANDS.map((c) => c.name).filter((n) => KAFKA_COMMANDS.includes(n)).sort(), KAFKA_COMMANDS.sort());
});

Deno.test("every command that talks to Kafka: a bad --sasl is exit 2, an unreadable password file exit 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/det.json`, JSON.stringify({ instrument: "bifrost", family: "caen" }));
    const own: Record<string, string[]> = {
      start: ["--no-admin"],
      writer: ["--no-admin", "--hdf-output-prefix", dir],
      job: ["status"],
      run: ["stop"],
      efu: ["--detector", `${dir}/det.json`, "--command-port=-1"],
      forwarder: ["--config-topic", "c", "--status-topic", "s"],
      "forwarder-config": ["removeall", "--topic", "c"],
      inspect: ["--topic", "t"],
    };
    const unreadable = ["--sasl", "plain", "--sasl-username", "nx", "--sasl-password-file", `${dir}/none.pass`];
    for (const name of KAFKA_COMMANDS) {
      const bad = await runNxflow([name, ...own[name], "--brokers", "127.0.0.1:1", "--sasl", "kerberos"]);
      assert.equal(bad.code, 2, `${name}: ${bad.stderr}`);
      assert.match(bad.stderr, /--sasl \(kafka\.sasl\.mechanism\): one of plain, scram-sha-256, scram-sha-512/);
      const out = await runNxflow([name, ...own[name], "--brokers", "127.0.0.1:1", ...unreadable]);
      assert.equal(out.code, name === "inspect" ? 2 : 1, `${name}: ${out.stderr}`);
      assert.match(out.stdout + out.stderr, /Cannot read the Kafka password file .*none\.pass/, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
