/**
 * The writer's Graphite output: `nxflow writer --graphite host:port` sends the handler's stats through the shared
 * Graphite module to a real TCP listener standing in for Carbon, in Carbon's plaintext format.
 */
import assert from "node:assert/strict";
import { startKafka } from "../_harness/kafka.ts";
import { spawnWithEnv } from "./support.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;

Deno.test("nxflow writer --graphite sends nxflow.writer.<service>.handler.<counter> lines to Carbon", async () => {
  const kafka = await startKafka();
  const carbon = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (carbon.addr as Deno.NetAddr).port;
  const dir = await Deno.makeTempDir({ prefix: "nxflow-writer-graphite-" });
  const received: string[] = [];
  const accept = (async () => {
    for await (const conn of carbon) {
      void (async () => {
        for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) received.push(chunk);
      })().catch(() => {});
    }
  })().catch(() => {});
  const writer = spawnWithEnv(Deno.execPath(), [
    ...["run", "-A", MOD, "writer", "--brokers", kafka.bootstrap, "--hdf-output-prefix", dir],
    ...["--service-name", "gw", "--graphite", `127.0.0.1:${port}`, "--admin-port", "0"],
  ]);
  try {
    await writer.line(/admin endpoint on/, 60_000);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !received.join("").includes(".handler.jobsStarted ")) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const lines = received.join("").split("\n").filter(Boolean);
    const started = lines.find((l) => /^nxflow\.writer\.gw-pid_\d+-[0-9a-f]+\.handler\.jobsStarted 0 \d+$/.test(l));
    assert.ok(started, `a handler counter line among: ${lines.slice(0, 10).join(" | ")}`);
    const now = Date.now() / 1000;
    assert.ok(Math.abs(Number(started.split(" ")[2]) - now) < 60, "a current unix time in seconds");
  } finally {
    await writer.reap();
    carbon.close();
    await accept;
    await kafka.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
