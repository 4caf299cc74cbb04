import assert from "node:assert/strict";
import { startAdminServer } from "../../actors/admin/server.ts";
import type { Log } from "../../actors/common/log.ts";
import type { ChaosReply, HealthReply } from "../../protocols/admin.ts";
import type { TreeSnapshot } from "../../protocols/supervision.ts";
import { RECORDER, startRecorded, waitFor } from "../_harness/runtime.ts";

const quiet: Log = () => {};

async function withAdmin(faultInjection: boolean, body: (url: string, rejected: () => number) => Promise<void>) {
  const { system } = await startRecorded({
    id: "root",
    children: [{ id: "sub", children: [{ id: "rec", module: RECORDER }] }],
  });
  const admin = await startAdminServer(system, {
    host: "127.0.0.1",
    port: 0,
    faultInjection,
    version: "test",
    commit: "abc",
    log: quiet,
  });
  try {
    await body(admin.url, () => admin.rejected);
  } finally {
    await admin.shutdown();
    await system.stop();
  }
}

const post = async (url: string, body: string) => {
  const res = await fetch(`${url}/chaos`, { method: "POST", body });
  return { status: res.status, reply: (await res.json()) as ChaosReply };
};

Deno.test("GET /tree serves the snapshot of the whole tree; GET /health says ok", async () => {
  await withAdmin(false, async (url) => {
    const tree: TreeSnapshot = await (await fetch(`${url}/tree`)).json();
    assert.equal(tree.leakedThreads, 0);
    const sub = tree.root.children[0];
    assert.ok(sub.kind === "supervisor");
    const rec = sub.children[0];
    assert.equal(rec.kind, "actor");
    assert.equal(rec.path, "root/sub/rec");
    assert.equal(rec.state, "running");
    assert.equal(rec.restarts, 0);
    const health: HealthReply = await (await fetch(`${url}/health`)).json();
    assert.deepEqual({ status: health.status, down: health.down, commit: health.commit }, {
      status: "ok",
      down: [],
      commit: "abc",
    });
  });
});

Deno.test("POST /chaos is refused with 403 unless fault injection is enabled", async () => {
  await withAdmin(false, async (url, rejected) => {
    const { status, reply } = await post(url, JSON.stringify({ actor: "rec", fault: "crash" }));
    assert.equal(status, 403);
    assert.ok(!reply.ok && /disabled/.test(reply.error));
    assert.equal(rejected(), 1);
  });
});

Deno.test("POST /chaos rejects bad bodies and unknown actors with 4xx, counts them, and keeps serving", async () => {
  await withAdmin(true, async (url, rejected) => {
    assert.equal((await post(url, "{nope")).status, 400);
    assert.equal((await post(url, JSON.stringify({ actor: "rec", fault: "melt" }))).status, 400);
    assert.equal((await post(url, JSON.stringify({ fault: "crash" }))).status, 400);
    const unknown = await post(url, JSON.stringify({ actor: "ghost", fault: "crash" }));
    assert.equal(unknown.status, 404);
    assert.ok(!unknown.reply.ok && /No actor "ghost" in the tree; actors: root\/sub\/rec/.test(unknown.reply.error));
    assert.equal((await post(url, "x".repeat(70_000))).status, 413);
    assert.equal(await fetch(`${url}/nowhere`).then((r) => r.body?.cancel().then(() => r.status)), 404);
    assert.equal(rejected(), 6);
    const tree: TreeSnapshot = await (await fetch(`${url}/tree`)).json();
    assert.equal(tree.root.state, "running");
  });
});

Deno.test("POST /chaos crashes the named actor, which its supervisor restarts", async () => {
  await withAdmin(true, async (url) => {
    const { status, reply } = await post(url, JSON.stringify({ actor: "sub/rec", fault: "crash" }));
    assert.equal(status, 200);
    assert.deepEqual(reply, { ok: true, path: "root/sub/rec", fault: "crash" });
    await waitFor("the restart", async () => {
      const tree: TreeSnapshot = await (await fetch(`${url}/tree`)).json();
      const rec = tree.root.children[0].kind === "supervisor" ? tree.root.children[0].children[0] : null;
      return rec?.restarts === 1 && rec.state === "running";
    });
  });
});
