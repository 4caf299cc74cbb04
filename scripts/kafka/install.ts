/**
 * Installs a pinned Apache Kafka from Maven Central with Maven: the broker (`org.apache.kafka:kafka_2.13`), its tools
 * (`kafka-tools`, for ProducerPerformance and ConsumerPerformance) and a logging binding (log4j 2 behind slf4j), all
 * copied as jars into a cache folder outside the repository (`~/.cache/nxflow/kafka-<version>/libs`).
 *
 * Idempotent: a finished install leaves a `.complete` marker and a second call returns at once. Concurrent installs
 * (two test runs at the same time) each build in a private folder and the first rename wins.
 *
 * @module
 */
import { join } from "node:path";

/** The Kafka release nxflow tests and demos run. */
export const KAFKA_VERSION = "4.1.1";
/** The Scala build of the broker jar. */
export const SCALA_VERSION = "2.13";
/** The log4j 2 release Kafka 4.1 is built with; its slf4j binding routes Kafka's logs to log4j. */
export const LOG4J_VERSION = "2.24.3";

/** A finished install. */
export interface KafkaInstall {
  version: string;
  /** the install folder. */
  home: string;
  /** the jar folder; its wildcard is the JVM class path. */
  libs: string;
}

/** Raised when Java or Maven is missing or Maven cannot resolve the jars. */
export class KafkaInstallError extends Error {
  override name = "KafkaInstallError";
}

/** The folder nxflow caches downloads and local broker data in: `$NXFLOW_CACHE_DIR`, else `~/.cache/nxflow`. */
export function cacheRoot(): string {
  const explicit = Deno.env.get("NXFLOW_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME");
  if (xdg) return join(xdg, "nxflow");
  if (!home) throw new KafkaInstallError("Cannot find a cache folder: neither NXFLOW_CACHE_DIR nor HOME is set");
  return join(home, ".cache", "nxflow");
}

/** The JVM class path of an install. */
export function classPath(install: KafkaInstall): string {
  return join(install.libs, "*");
}

/**
 * Returns the install of `version`, resolving it with Maven first when it is not cached yet.
 *
 * @throws {KafkaInstallError} Java 17+ or Maven is missing, or Maven failed (its output is in the message).
 */
export async function installKafka(
  options: { version?: string; log?: (line: string) => void } = {},
): Promise<KafkaInstall> {
  const version = options.version ?? KAFKA_VERSION;
  const home = join(cacheRoot(), `kafka-${version}`);
  const install = { version, home, libs: join(home, "libs") };
  if (await exists(join(home, ".complete"))) return install;
  await checkJava();
  const log = options.log ?? (() => {});
  log(`Installing Apache Kafka ${version} from Maven Central into ${home} ...`);
  await Deno.mkdir(cacheRoot(), { recursive: true });
  const work = `${home}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(work, { recursive: true });
  try {
    await Deno.writeTextFile(join(work, "pom.xml"), pom(version));
    await mvn(["-f", join(work, "pom.xml"), "dependency:copy-dependencies", `-DoutputDirectory=${join(work, "libs")}`]);
    const jars = [...Deno.readDirSync(join(work, "libs"))].map((e) => e.name).sort();
    if (!jars.includes(`kafka_${SCALA_VERSION}-${version}.jar`)) {
      throw new KafkaInstallError(`Maven finished but kafka_${SCALA_VERSION}-${version}.jar is missing in ${work}`);
    }
    await Deno.writeTextFile(join(work, ".complete"), jars.join("\n") + "\n");
    try {
      await Deno.rename(work, home);
    } catch (error) {
      if (!(await exists(join(home, ".complete")))) throw error;
    }
    log(`Installed ${jars.length} jars into ${install.libs}`);
    return install;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

function pom(version: string): string {
  const dep = (g: string, a: string, v: string) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>nxflow.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${dep("org.apache.kafka", `kafka_${SCALA_VERSION}`, version)}
${dep("org.apache.kafka", "kafka-tools", version)}
${dep("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION)}
  </dependencies>
</project>
`;
}

async function mvn(args: string[]): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("mvn", { args: ["-B", "-q", ...args], stdin: "null" }).output();
  } catch (error) {
    throw new KafkaInstallError(
      `Cannot run mvn (${(error as Error).message}); install Maven, e.g. apt-get install maven`,
    );
  }
  if (!output.success) {
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    throw new KafkaInstallError(`mvn ${args.join(" ")} failed with code ${output.code}:\n${text.slice(-4000)}`);
  }
}

/**
 * Checks that `java` is a Java 17 or newer runtime, as Kafka 4 brokers need.
 *
 * @throws {KafkaInstallError} when java is missing or older.
 */
export async function checkJava(): Promise<number> {
  let text: string;
  try {
    const out = await new Deno.Command("java", { args: ["-version"], stdin: "null" }).output();
    text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  } catch (error) {
    throw new KafkaInstallError(`Cannot run java (${(error as Error).message}); Kafka ${KAFKA_VERSION} needs Java 17+`);
  }
  const match = /version "(\d+)/.exec(text);
  const major = match ? Number(match[1]) : NaN;
  if (!(major >= 17)) {
    throw new KafkaInstallError(`Kafka ${KAFKA_VERSION} needs Java 17 or newer; java -version says: ${text.trim()}`);
  }
  return major;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
