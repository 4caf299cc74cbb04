/**
 * What the writer module tests share: a new file to write a module into and read back with h5py, opening a module
 * on a group, and the bytes of a typed array (message payloads). Importing it waits for h5wasm.
 *
 * @module
 */
import assert from "node:assert/strict";
import h5wasm from "h5wasm/node";
import type { Group } from "h5wasm/node";
import type { ModuleCheckpoint, WriterModule, WriterModuleType } from "../../actors/writer/modules/module.ts";
import type { DecodedTable } from "../../schemas/reader.ts";
import { type H5File, readH5 } from "../_harness/h5py.ts";

await h5wasm.ready;

/** The `start` and `units` attributes of the NeXus time datasets. */
export const TIME_ATTRS = { start: "1970-01-01T00:00:00Z", units: "ns" };

/** Runs `body` on the group /entry of a new file, closes the file and returns h5py's reading of it. */
export async function written(body: (group: Group) => void): Promise<H5File> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/test.nxs`;
    const file = new h5wasm.File(path, "w", { libver: ["v108", "v110"] });
    assert.notEqual(file.file_id, -1n);
    try {
      body(file.create_group("entry"));
    } finally {
      file.close();
    }
    return await readH5(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens a module of `type` on `group` with `config` (plus a topic and source), reopening it from `resume`. */
export function open(
  type: WriterModuleType,
  group: Group,
  config: Record<string, unknown> = {},
  resume?: ModuleCheckpoint,
): WriterModule {
  return type.open({ group, path: group.path, config: { topic: "t", source: "s", ...config }, resume });
}

/** Opens a module on `group`, writes `messages`, closes it. */
export function writeAll(
  type: WriterModuleType,
  group: Group,
  config: Record<string, unknown>,
  messages: DecodedTable[],
): void {
  const module = open(type, group, config);
  for (const m of messages) module.write(m);
  module.close();
}

/** The bytes of a typed array. */
export const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
