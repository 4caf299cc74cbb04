/**
 * The Ansible role `nxflow` (scripts/ansible/), run by `ansible-playbook` from PyPI's ansible-core (pinned, in the
 * shared venv) against localhost with a local connection into a temporary root: the first run changes things and the
 * second changes nothing; `systemd-analyze verify` accepts the generated units; the installed nxflow starts as the
 * service user from the installed configuration and answers /health; deploying a second version and rolling back
 * leaves the first running and `current` pointing at it. Units are not started here: PID 1 is not systemd.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureVenv, venvBin } from "../../scripts/python_venv.ts";
import { startKafka } from "../_harness/kafka.ts";
import { eventually } from "../_harness/wait.ts";
import { aptInstall } from "../_harness/apt.ts";
import { getJson, spawnWithEnv } from "./support.ts";

const ANSIBLE_CORE = "ansible-core==2.19.14";
const SITE = new URL("../../scripts/ansible/site.yml", import.meta.url).pathname;
const RELEASE = new URL("../../scripts/release/main.ts", import.meta.url).pathname;
const text = new TextDecoder();

async function sh(command: string, args: string[], options: Deno.CommandOptions = {}): Promise<Deno.CommandOutput> {
  return await new Deno.Command(command, { args, stdout: "piped", stderr: "piped", ...options }).output();
}

/** Two release tarballs of versions 0.1.0+ansible1 and 0.1.0+ansible2, made from one `deno task release`. */
async function twoReleases(dir: string): Promise<[string, string][]> {
  const built = await sh(Deno.execPath(), ["run", "-A", RELEASE, "--out", join(dir, "dist")]);
  assert.ok(built.success, text.decode(built.stderr));
  const tarball = text.decode(built.stdout).trim();
  const unpacked = join(dir, "unpacked");
  await Deno.mkdir(unpacked);
  assert.ok((await sh("tar", ["-xzf", tarball, "-C", unpacked])).success);
  const [top] = [...Deno.readDirSync(unpacked)].map((e) => e.name);
  const out: [string, string][] = [];
  for (const commit of ["ansible1", "ansible2"]) {
    const version = `0.1.0+${commit}`;
    await Deno.rename(join(unpacked, out.length ? `nxflow-0.1.0+ansible1` : top), join(unpacked, `nxflow-${version}`));
    const info = join(unpacked, `nxflow-${version}`, "app", "build_info.json");
    await Deno.writeTextFile(info, JSON.stringify({ ...JSON.parse(await Deno.readTextFile(info)), commit }));
    const file = join(dir, `nxflow-${version}-linux-x64.tar.gz`);
    assert.ok((await sh("tar", ["-czf", file, "-C", unpacked, `nxflow-${version}`])).success);
    out.push([version, file]);
  }
  return out;
}

Deno.test("the Ansible role installs, is idempotent, its units verify, nxflow answers /health, rollback works", async () => {
  const python = await ensureVenv([ANSIBLE_CORE]);
  const tmp = await Deno.makeTempDir({ prefix: "nxflow-ansible-" });
  await Deno.chmod(tmp, 0o755); // the service user must reach the temporary root
  const kafka = await startKafka();
  const root = join(tmp, "root");
  let service;
  try {
    const [[v1, t1], [v2, t2]] = await twoReleases(tmp);
    const adminPort = 18000 + Math.floor(Math.random() * 2000);
    const vars = (version: string, tarball: string, extra: Record<string, unknown> = {}) => ({
      nxflow_hosts: "localhost",
      nxflow_root: root,
      nxflow_version: version,
      nxflow_release_tarball: tarball,
      nxflow_systemd: false,
      nxflow_instances: [{
        name: "writer",
        admin_port: adminPort,
        writer: true,
        config: {
          kafka: { brokers: kafka.connection.brokers },
          roles: { writer: { hdfOutputPrefix: `${root}/var/lib/nxflow/writer` } },
        },
      }],
      nxflow_kafka_secrets: { "kafka.pass": "not-a-real-password" },
      ansible_python_interpreter: python,
      ...extra,
    });
    const play = async (v: Record<string, unknown>) => {
      const file = join(tmp, "vars.json");
      await Deno.writeTextFile(file, JSON.stringify(v));
      const out = await sh(venvBin("ansible-playbook"), ["-i", "localhost,", "-c", "local", "-e", `@${file}`, SITE], {
        env: { ANSIBLE_LOCALHOST_WARNING: "false", ANSIBLE_INVENTORY_UNPARSED_WARNING: "false", NO_COLOR: "1" },
      });
      const log = text.decode(out.stdout) + text.decode(out.stderr);
      const recap = /localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(log);
      assert.ok(out.success && recap, log.slice(-4000));
      return { changed: Number(recap[2]), failed: Number(recap[4]), log };
    };

    const first = await play(vars(v1, t1));
    assert.ok(first.changed > 0, "the first run changes things");
    const second = await play(vars(v1, t1));
    assert.equal(second.changed, 0, `the second run changes nothing:\n${second.log.slice(-3000)}`);

    const current = join(root, "opt/nxflow/current");
    assert.equal(await Deno.realPath(current), join(root, "opt/nxflow/releases", `nxflow-${v1}`));
    const secret = await Deno.stat(join(root, "etc/nxflow/secrets/kafka.pass"));
    const uid = Number(text.decode((await sh("id", ["-u", "nxflow"])).stdout).trim());
    assert.equal(secret.mode! & 0o777, 0o600);
    assert.equal(secret.uid, uid, "the secret belongs to the service user");
    const unitDir = join(root, "etc/systemd/system");
    const unit = await Deno.readTextFile(join(unitDir, "nxflow@.service"));
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^RestartForceExitStatus=3 4$/m);
    assert.match(unit, /^NoNewPrivileges=yes$/m);
    assert.match(unit, /^ProtectSystem=strict$/m);
    assert.match(await Deno.readTextFile(join(unitDir, "nxflow@writer.service.d/writer.conf")), /^ReadWritePaths=/m);

    if (!(await sh("sh", ["-c", "command -v systemd-analyze"])).success) {
      await aptInstall("systemd").catch((e) => console.log(`systemd-analyze cannot be installed: ${e}`));
    }
    if ((await sh("sh", ["-c", "command -v systemd-analyze"])).success) {
      for (const name of ["nxflow@.service", "nxflow@writer.service"]) {
        const verify = await sh("systemd-analyze", ["verify", "--man=no", join(unitDir, name)]);
        const output = text.decode(verify.stdout) + text.decode(verify.stderr);
        assert.ok(verify.success && output.trim() === "", `systemd-analyze verify ${name}: ${output}`);
      }
    } else console.log("skipped: systemd-analyze verify (systemd-analyze missing and not installable)");

    const execStart = /^ExecStart=(.*)$/m.exec(unit)![1].replaceAll("%i", "writer").split(" ");
    const cache = join(tmp, "cache");
    await Deno.mkdir(cache);
    await sh("chown", ["nxflow:nxflow", cache]);
    service = spawnWithEnv("setpriv", ["--reuid=nxflow", "--regid=nxflow", "--init-groups", "--", ...execStart], {
      env: { NXFLOW_CACHE_DIR: cache, HOME: cache },
      unset: ["NXFLOW_BUILD_COMMIT", "JAVA_HOME"],
    });
    const health = await eventually(
      "GET /health of the installed nxflow",
      () => getJson<{ status: string; version: string }>(`http://127.0.0.1:${adminPort}/health`).catch(() => null),
      (h) => h?.status === "ok",
      90_000,
    );
    assert.equal(health!.version, v1);
    assert.ok(!service.lines.some((l) => /Warning|Ignored build scripts/.test(l)), service.lines.join("\n"));

    const upgrade = await play(vars(v2, t2, { nxflow_wait_health: true }));
    assert.ok(upgrade.changed > 0);
    assert.equal(await Deno.realPath(current), join(root, "opt/nxflow/releases", `nxflow-${v2}`));
    const rollback = await play(vars(v1, t1, { nxflow_wait_health: true }));
    assert.ok(rollback.changed > 0, "the rollback changes the link");
    assert.equal(await Deno.realPath(current), join(root, "opt/nxflow/releases", `nxflow-${v1}`));
    await Deno.stat(join(root, "opt/nxflow/releases", `nxflow-${v2}`, "bin/nxflow"));
    const after = await getJson<{ status: string; version: string }>(`http://127.0.0.1:${adminPort}/health`);
    assert.deepEqual([after.status, after.version], ["ok", v1], "the first version still runs");
    service.child.kill("SIGTERM");
    assert.equal((await service.child.status).code, 0);
  } finally {
    await service?.reap();
    await kafka.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
});
