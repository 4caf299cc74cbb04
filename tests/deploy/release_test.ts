/**
 * The offline release: `deno task release --with-java` builds the tarball; unpacked into a fresh folder and run inside
 * a network namespace with nothing but loopback (`unshare -n`), with no Java on the PATH and an empty cache folder,
 * `bin/nxflow --version`, `inspect --file` and `start` (the sim's detector, its EFU and the writer on the local Kafka,
 * a job writing a run file) all work. The run file is read back with h5py.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../../actors/common/build_info.ts";
import { ev44 } from "../../schemas/mod.ts";
import { aptInstall } from "../_harness/apt.ts";
import { objectAt, readH5 } from "../_harness/h5py.ts";
import { pathWithoutJava } from "./support.ts";

const RELEASE = new URL("../../scripts/release/main.ts", import.meta.url).pathname;
const OFFLINE_RUN = new URL("release/offline_run.sh", import.meta.url).pathname;

async function canUnshare(): Promise<boolean> {
  try {
    return (await new Deno.Command("unshare", { args: ["-n", "true"], stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "the release runs with no network: --version, inspect --file, start with the local Kafka writing a run file",
  ignore: !(await canUnshare()) && (console.log("skipped: unshare -n is not permitted here (needs root)"), true),
  fn: async () => {
    if (!(await new Deno.Command("sh", { args: ["-c", "command -v ip"], stdout: "null" }).output()).success) {
      await aptInstall("iproute2"); // offline_run.sh brings loopback up with ip
    }
    const tmp = await Deno.makeTempDir({ prefix: "nxflow-release-" });
    try {
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", RELEASE, "--with-java", "--out", join(tmp, "dist")],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder();
      assert.ok(built.success, text.decode(built.stderr));
      const tarball = text.decode(built.stdout).trim();
      assert.equal(tarball, join(tmp, "dist", `nxflow-${VERSION}-linux-x64.tar.gz`));
      const fresh = join(tmp, "fresh");
      await Deno.mkdir(fresh);
      assert.ok((await new Deno.Command("tar", { args: ["-xzf", tarball, "-C", fresh] }).output()).success);
      const release = join(fresh, `nxflow-${VERSION}`);
      for (const part of ["bin/nxflow", "bin/deno", "app/mod.ts", "app/build_info.json", "deno_dir", "java/bin/java"]) {
        await Deno.stat(join(release, part));
      }
      assert.ok([...Deno.readDirSync(join(release, "kafka", "kafka-4.1.1", "libs"))].length >= 90, "Kafka jars");
      const work = join(tmp, "work");
      await Deno.mkdir(work);
      const message = join(work, "message.ev44");
      await Deno.writeFile(
        message,
        ev44.encode({
          source_name: "offline_det",
          reference_time: [1700000000000000000n],
          reference_time_index: [0],
          time_of_flight: new Int32Array([100, 200]),
          pixel_id: new Int32Array([1, 2]),
        }),
      );
      const env: Record<string, string> = { ...Deno.env.toObject(), PATH: await pathWithoutJava(join(tmp, "path")) };
      delete env.JAVA_HOME;
      delete env.NXFLOW_BUILD_COMMIT; // the version must come from the release's own build_info.json
      env.NXFLOW_CACHE_DIR = join(tmp, "cache");
      env.HOME = join(tmp, "home");
      const run = await new Deno.Command("unshare", {
        args: ["-n", OFFLINE_RUN, release, work, message],
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = text.decode(run.stdout);
      assert.ok(run.success, `${out}\n${text.decode(run.stderr)}`);
      assert.match(
        out,
        new RegExp(`^== version: nxflow ${VERSION.replace(/[.+]/g, "\\$&")} \\(deno 2\\.9\\.6\\)$`, "m"),
      );
      assert.match(out, /^== inspect: \{.*"schema":"ev44".*"source_name":"offline_det"/m);
      assert.match(out, /^== job done$/m);
      assert.match(out, /== log: .*Local Kafka 4\.1\.1 running at 127\.0\.0\.1:\d+/);
      const file = await readH5(join(work, "nxs", "run1.nxs"));
      const events = objectAt(file, "/entry/events/event_id");
      assert.ok((events.shape?.[0] ?? 0) > 0, `events were written: ${JSON.stringify(events.shape)}`);
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
