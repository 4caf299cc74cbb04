/**
 * The Deno runtime a release carries: the `deno` executable of npm's `@deno/linux-x64-glibc` package at the pinned
 * version (the registry we reach; dl.deno.land is not), checked by SHA-256 and kept in nxflow's cache.
 *
 * @module
 */
import { join } from "node:path";
import { downloadVerified, type PinnedFile } from "../../actors/common/local_kafka/download.ts";

/** The pinned Deno runtime package (its tarball holds `package/deno`, `package/package.json`, `package/README.md`). */
export const DENO_RUNTIME: PinnedFile & { version: string } = {
  version: "2.9.6",
  url: "https://registry.npmjs.org/@deno/linux-x64-glibc/-/linux-x64-glibc-2.9.6.tgz",
  sha256: "a6596af07f3570b4f1ffa6783bfee9942aac14a719a601baa6bf5b71bf0105e2",
  bytes: 42285097,
};

/** Returns the path of the pinned `deno` executable in `cacheDir`, fetching and unpacking it first if needed. */
export async function denoRuntime(cacheDir: string, log: (line: string) => void): Promise<string> {
  const dir = join(cacheDir, `deno-linux-x64-glibc-${DENO_RUNTIME.version}`);
  const deno = join(dir, "deno");
  try {
    await Deno.stat(deno);
    return deno;
  } catch {
    // not fetched yet
  }
  log(`Fetching the Deno runtime (npm @deno/linux-x64-glibc ${DENO_RUNTIME.version}) into ${dir} ...`);
  const work = `${dir}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(work, { recursive: true });
  try {
    const tgz = join(work, "deno.tgz");
    await downloadVerified(DENO_RUNTIME, tgz);
    const out = await new Deno.Command("tar", { args: ["-xzf", tgz, "-C", work, "package/deno"], stderr: "piped" })
      .output();
    if (!out.success) throw new Error(`tar could not unpack ${tgz}: ${new TextDecoder().decode(out.stderr)}`);
    await Deno.mkdir(dir, { recursive: true });
    await Deno.rename(join(work, "package", "deno"), deno);
    return deno;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
