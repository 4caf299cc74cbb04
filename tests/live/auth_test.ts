/**
 * The admin endpoint's access rule (`actors/admin/auth.ts`), and `nxflow start` refusing an admin endpoint beyond
 * loopback without a token.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { AdminAuth, checkAdminBinding, isLoopback, readToken } from "../../actors/admin/auth.ts";
import { runNxflow } from "../_harness/process.ts";

const TOKEN = "0123456789abcdef-token";
const get = (path: string, token?: string) =>
  new Request(`http://x${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
const post = (path: string, token?: string) =>
  new Request(`http://x${path}`, {
    method: "POST",
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

Deno.test("loopback addresses", () => {
  for (const h of ["127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) {
    assert.ok(isLoopback(h), h);
  }
  for (const h of ["0.0.0.0", "10.0.0.1", "::", "192.168.1.2", "128.0.0.1", "example.org"]) {
    assert.ok(!isLoopback(h), h);
  }
});

Deno.test("with a token: reading is open on loopback, controls and other hosts need the token", () => {
  const auth = new AdminAuth(TOKEN);
  assert.equal(auth.refuse(get("/live/state"), "127.0.0.1", false), null);
  assert.equal(auth.refuse(get("/live/state"), "10.1.2.3", false)?.status, 401);
  assert.equal(auth.refuse(get("/live/state", TOKEN), "10.1.2.3", false), null);
  assert.equal(auth.refuse(get("/live/app.js"), "10.1.2.3", true), null, "pages and scripts are open");
  for (const host of ["127.0.0.1", "10.1.2.3"]) {
    assert.equal(auth.refuse(post("/live/run/start"), host, false)?.status, 401, host);
    assert.equal(auth.refuse(post("/live/run/start", TOKEN.slice(0, -1)), host, false)?.status, 401, host);
    assert.equal(auth.refuse(post("/live/run/start", TOKEN + "x"), host, false)?.status, 401, host);
    assert.equal(auth.refuse(post("/chaos", TOKEN), host, false), null, host);
  }
});

Deno.test("without a token: controls from loopback only", () => {
  const auth = new AdminAuth(null);
  assert.equal(auth.refuse(post("/live/run/stop"), "127.0.0.1", false), null);
  assert.equal(auth.refuse(post("/live/run/stop"), "10.1.2.3", false)?.status, 403);
  assert.equal(auth.refuse(post("/live/run/stop", "anything"), "10.1.2.3", false)?.status, 403);
});

Deno.test("a binding beyond loopback needs a token file; the token file is checked", async () => {
  checkAdminBinding("127.0.0.1", "");
  checkAdminBinding("0.0.0.0", "/etc/nxflow/admin.token");
  assert.throws(() => checkAdminBinding("0.0.0.0", ""), /needs a token/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "short"), "abc\n");
    await assert.rejects(readToken(join(dir, "short")), /shorter than 16/);
    await assert.rejects(readToken(join(dir, "missing")), /cannot read the admin token file/);
    await Deno.writeTextFile(join(dir, "ok"), ` ${TOKEN}\n`);
    assert.equal(await readToken(join(dir, "ok")), TOKEN);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nxflow start refuses an admin endpoint beyond loopback without a token (exit 2)", async () => {
  const r = await runNxflow(["start", "--admin-host", "0.0.0.0"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /needs a token \(--admin-token-file FILE\)/);
});
