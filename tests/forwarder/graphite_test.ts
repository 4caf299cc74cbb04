/**
 * The shared Graphite output (`actors/common/graphite.ts`) against a real TCP listener standing in for Carbon, and
 * the forwarder's use of it: metric names, outages, bad addresses. No IOC or Kafka: the forwarder's serialiser and
 * config actors are stood in for by the stats fixture actor.
 */
import assert from "node:assert/strict";
import type { Log } from "../../actors/common/log.ts";
import {
  graphiteAddress,
  type Metric,
  metricSegment,
  numericMetrics,
  startGraphite,
} from "../../actors/common/graphite.ts";
import { forwarder, forwarderGraphite } from "../../actors/forwarder/role.ts";
import { ActorSystem } from "../../actors/runtime/mod.ts";
import { waitFor } from "../_harness/wait.ts";

const STATS_ACTOR = new URL("../_fixtures/actors/stats_actor.ts", import.meta.url);
const MOD = new URL("../../mod.ts", import.meta.url).pathname;

/** Log records as `level message` strings. */
function recordingLog(): { log: Log; records: string[] } {
  const records: string[] = [];
  return { log: (level, _source, message) => records.push(`${level} ${message}`), records };
}

/** Reads from Carbon's side of a connection until `done` holds for the text so far, or the sender closes. */
async function readUntil(conn: Deno.Conn, done: (text: string) => boolean): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  let text = "";
  while (!done(text)) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  return text;
}

const lines = (text: string) => text.split("\n").filter((l) => l);

/** The `host:port` a test Carbon listens on. */
function addressOf(listener: Deno.Listener): string {
  return `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
}

Deno.test("Graphite output sends Carbon plaintext lines: prefix, name, value, the time in seconds", async () => {
  const carbon = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { log, records } = recordingLog();
  const metrics: Metric[] = [["a.b", 3], ["not_a_number", NaN], ["c", 1.5]];
  const graphite = startGraphite({
    address: addressOf(carbon),
    prefix: "test.svc",
    metrics: () => Promise.resolve(metrics),
    intervalMs: 50,
    log,
    source: "test",
  });
  const conn = await carbon.accept();
  try {
    const [first, second] = lines(await readUntil(conn, (t) => lines(t).length >= 4));
    const time = first.split(" ")[2];
    assert.deepEqual([first, second], [`test.svc.a.b 3 ${time}`, `test.svc.c 1.5 ${time}`]);
    assert.ok(Math.abs(Number(time) - Date.now() / 1000) < 60, time);
    assert.deepEqual(records, []);
  } finally {
    graphite.stop();
    conn.close();
    carbon.close();
  }
});

Deno.test("Graphite output logs one warning while Carbon is away, then connects again and says so", async () => {
  const first = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (first.addr as Deno.NetAddr).port;
  const { log, records } = recordingLog();
  let rounds = 0;
  const graphite = startGraphite({
    address: `127.0.0.1:${port}`,
    prefix: "",
    metrics: () => Promise.resolve([["rounds", ++rounds]]),
    intervalMs: 30,
    log,
    source: "test",
  });
  let second: Deno.Listener | null = null;
  try {
    const conn = await first.accept();
    assert.match(await readUntil(conn, (t) => t.includes("\n")), /^rounds \d+ \d+\n/);
    conn.close();
    first.close();
    await waitFor("the outage warning", () => records.length > 0);
    const during = rounds;
    await waitFor("five more rounds while Carbon is away", () => rounds >= during + 5);
    assert.equal(records.length, 1, records.join("; "));
    assert.match(records[0], new RegExp(`^warn Graphite 127\\.0\\.0\\.1:${port}: .*; retrying$`));
    second = Deno.listen({ hostname: "127.0.0.1", port });
    const again = await second.accept();
    try {
      const [line] = lines(await readUntil(again, (t) => t.includes("\n")));
      assert.ok(Number(line.split(" ")[1]) > during, line);
    } finally {
      again.close();
    }
    await waitFor("the recovery notice", () => records.length === 2);
    assert.equal(records[1], `info Graphite 127.0.0.1:${port}: sending again`);
  } finally {
    graphite.stop();
    second?.close();
  }
});

Deno.test("Graphite output loses a round whose metrics fail, warns once, and keeps going", async () => {
  const carbon = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { log, records } = recordingLog();
  let calls = 0;
  const graphite = startGraphite({
    address: addressOf(carbon),
    prefix: "p",
    metrics: () => ++calls <= 3 ? Promise.reject(new Error("no figures")) : Promise.resolve([["ok", 1]]),
    intervalMs: 30,
    log,
    source: "test",
  });
  const conn = await carbon.accept();
  try {
    assert.match(await readUntil(conn, (t) => t.includes("\n")), /^p\.ok 1 \d+\n/);
    assert.deepEqual(records.slice(0, 1), [`warn Graphite ${addressOf(carbon)}: no figures; retrying`]);
    assert.equal(records.filter((r) => r.startsWith("warn")).length, 1);
  } finally {
    graphite.stop();
    conn.close();
    carbon.close();
  }
});

Deno.test("Graphite addresses, metric names and stats replies as metrics", () => {
  assert.deepEqual(graphiteAddress("carbon.example:2003", "x"), { hostname: "carbon.example", port: 2003 });
  assert.deepEqual(graphiteAddress("[::1]:2003", "x"), { hostname: "::1", port: 2003 });
  for (const bad of ["carbon", ":2003", "carbon:", "carbon:0", "carbon:70000", "carbon:20x3"]) {
    assert.throws(
      () => graphiteAddress(bad, "--graphite"),
      new TypeError(`Cannot use --graphite: must be "host:port", got "${bad}"`),
    );
  }
  assert.equal(metricSegment("nxflow-forwarder.host 1/a"), "nxflow-forwarder_host_1_a");
  assert.deepEqual(
    numericMetrics({ forwarded: 4, latency: NaN, restored: true, list: [1], name: "x", nested: { "a.b": 2 } }, "s"),
    [["s.forwarded", 4], ["s.restored", 1], ["s.nested.a_b", 2]],
  );
});

Deno.test("the forwarder's Graphite address is checked by roles.forwarder.graphite and by --graphite", async () => {
  assert.equal(forwarder.check({}, "roles.forwarder").graphite, "");
  assert.equal(forwarder.check({ graphite: "localhost:2003" }, "roles.forwarder").graphite, "localhost:2003");
  assert.throws(() => forwarder.check({ graphite: "localhost" }, "roles.forwarder"), /roles\.forwarder\.graphite/);
  const args = ["--output-broker", "127.0.0.1:9", "--config-topic", "c", "--status-topic", "s", "--graphite", "nope"];
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", MOD, "forwarder", ...args] }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /Cannot use the forwarder settings\.graphite: must be "host:port", got "nope"/,
  );
});

Deno.test("the forwarder sends its serialiser's and config actor's stats every 10 s, named by service id", async () => {
  const system = await ActorSystem.start({
    id: "forwarder",
    children: [{ id: "serialiser", module: STATS_ACTOR }, { id: "config", module: STATS_ACTOR }],
  });
  const carbon = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const graphite = forwarderGraphite(system, addressOf(carbon), "fwd.host-1", () => {});
  const conn = await carbon.accept();
  try {
    const text = await readUntil(conn, (t) => lines(t).length >= 2);
    assert.deepEqual(lines(text).map((l) => l.split(" ").slice(0, 2).join(" ")), [
      "nxflow.forwarder.fwd_host-1.serialiser.bumps 0",
      "nxflow.forwarder.fwd_host-1.config.bumps 0",
    ]);
  } finally {
    graphite.stop();
    conn.close();
    carbon.close();
    await system.stop();
  }
});
