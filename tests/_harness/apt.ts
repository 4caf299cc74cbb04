/**
 * Debian packages the tests need (pyepics for the sim's tests, python3-h5py for reading files back), installed with
 * apt-get when missing, so that `deno task test` works on a fresh Debian machine.
 */

/** Installs Debian packages with apt-get (idempotent; needs root, as on CI machines). */
export async function aptInstall(...packages: string[]): Promise<void> {
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", ...packages]]) {
    const out = await new Deno.Command("apt-get", {
      args,
      stdout: "null",
      stderr: "piped",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    if (!out.success) throw new Error(`apt-get ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}
