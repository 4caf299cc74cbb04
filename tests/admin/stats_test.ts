import assert from "node:assert/strict";
import { startAdminServer } from "../../actors/admin/server.ts";
import type { Log } from "../../actors/common/log.ts";
import type { ActorStatsReply, AllStatsReply, StatsError } from "../../protocols/admin.ts";
import type { StatsActorProtocol } from "../_fixtures/actors/stats_actor.ts";
import { RECORDER, startRecorded } from "../_harness/runtime.ts";

const STATS_ACTOR = new URL("../_fixtures/actors/stats_actor.ts", import.meta.url);
const quiet: Log = () => {};

interface Admin {
  url: string;
  /** `GET /stats<query>`: the status and the JSON body. */
  get(query: string): Promise<[number, unknown]>;
  rejected(): number;
}

async function withStats(body: (admin: Admin) => Promise<void>) {
  const { system } = await startRecorded({
    id: "root",
    children: [{
      id: "sub",
      children: [
        { id: "rec", module: RECORDER },
        { id: "counter", module: STATS_ACTOR },
        { id: "broken", module: STATS_ACTOR, config: { fail: "no figures today" } },
        { id: "slow", module: STATS_ACTOR, config: { replyDelayMs: 60_000 }, shutdownMs: 100 },
      ],
    }],
  });
  const counter = system.ref<StatsActorProtocol>("counter");
  for (let i = 0; i < 3; i++) counter.send({ type: "bump" });
  const admin = await startAdminServer(system, {
    host: "127.0.0.1",
    port: 0,
    faultInjection: false,
    version: "test",
    commit: "abc",
    log: quiet,
  });
  const get = async (query: string): Promise<[number, unknown]> => {
    const res = await fetch(`${admin.url}/stats${query}`);
    return [res.status, await res.json()];
  };
  try {
    await body({ url: admin.url, get, rejected: () => admin.rejected });
  } finally {
    await admin.shutdown();
    await system.stop();
  }
}

Deno.test("GET /stats?actor= gives an actor's stats reply by id or path, with its full path", async () => {
  await withStats(async ({ get }) => {
    const byId = await get("?actor=counter");
    const expected: ActorStatsReply = { actor: "root/sub/counter", stats: { bumps: 3, name: "counter" } };
    assert.deepEqual(byId, [200, expected]);
    assert.deepEqual(await get("?actor=sub/counter"), [200, expected]);
    assert.deepEqual(await get("?actor=root/sub/counter"), [200, expected]);
  });
});

Deno.test("GET /stats?actor= says why there are no stats: 404, 501, 502, 504; all are counted", async () => {
  await withStats(async ({ get, rejected }) => {
    const error = async (query: string) => {
      const [status, body] = await get(query);
      return [status, (body as StatsError).error];
    };
    const [unknown, unknownError] = await error("?actor=ghost");
    assert.equal(unknown, 404);
    assert.match(unknownError as string, /No actor "ghost" in the tree; actors: .*root\/sub\/counter/);
    const [none, noneError] = await error("?actor=rec");
    assert.equal(none, 501);
    assert.match(noneError as string, /root\/sub\/rec answers no request "stats"/);
    assert.deepEqual(await error("?actor=broken"), [502, "root/sub/broken failed: Error: no figures today"]);
    const [slow, slowError] = await error("?actor=slow");
    assert.equal(slow, 504);
    assert.match(slowError as string, /no reply within 2000 ms/);
    assert.equal(rejected(), 4);
    assert.deepEqual(await get("?actor=counter"), [200, {
      actor: "root/sub/counter",
      stats: { bumps: 3, name: "counter" },
    }]);
  });
});

Deno.test("GET /stats gives every running actor's stats by path, leaves out those without, and lists failures", async () => {
  await withStats(async ({ get, rejected }) => {
    const [status, body] = await get("");
    assert.equal(status, 200);
    const all = body as AllStatsReply;
    assert.deepEqual(all.stats, { "root/sub/counter": { bumps: 3, name: "counter" } });
    assert.deepEqual(Object.keys(all.failed).sort(), ["root/sub/broken", "root/sub/slow"]);
    assert.match(all.failed["root/sub/slow"], /no reply within 2000 ms/);
    assert.equal(rejected(), 0);
  });
});

Deno.test("GET / lists the stats routes", async () => {
  await withStats(async ({ url }) => {
    const { routes } = await (await fetch(url)).json();
    assert.ok(routes.includes("GET /stats") && routes.includes("GET /stats?actor=<id or path>"), routes);
  });
});
