/**
 * Opening and closing the NeXus files of the file writer (h5wasm's node build, files on the host disk), and the
 * crash-resume checkpoint kept inside each file.
 *
 * - Files are created with library version bounds v108..v110, so HDF5 1.10 readers (h5py on Debian 12, many
 *   facility tools) can read them; "latest" would write layout messages that HDF5 1.10 rejects.
 * - A new file never replaces an existing one: the name is first claimed with an exclusive create on the host file
 *   system, which also gives clear reasons for a missing folder or missing permissions (h5wasm reports a failed
 *   open only as `file_id` -1n plus HDF5's error stack on stderr).
 * - The checkpoint is a variable-length UTF-8 string attribute `nxflow_checkpoint` on the root group. A
 *   variable-length string attribute stores only a reference in the object header and the text in the global heap,
 *   so it is not bound by the 64 KiB limit of compact attributes (checked with 1 MB, read by HDF5 1.10.8).
 *
 * Every function here needs `await h5wasm.ready` to have resolved first.
 *
 * @module
 */
import h5wasm, { Module } from "h5wasm/node";
import type { File } from "h5wasm/node";

/** The HDF5 library inside the pinned h5wasm 0.10.3 (the test checks it against the library's own error banner). */
const HDF5_VERSION = "2.0.0";

/** The root attribute holding the crash-resume checkpoint. */
const CHECKPOINT_ATTRIBUTE = "nxflow_checkpoint";

/** A NeXus file that cannot be created or reopened; the message says why. */
export class FileCreateError extends Error {
  override name = "FileCreateError";
}

/** How a new file is made. */
export interface CreateOptions {
  /** track the creation order of the root group's members, so viewers list them in nexus_structure order */
  trackOrder?: boolean;
}

/** The HDF5 library version inside h5wasm (for the root attribute HDF5_Version). */
export function hdf5Version(): string {
  return HDF5_VERSION;
}

/** Creates a NEW NeXus file at `path`; throws {@linkcode FileCreateError} when it exists or cannot be created. */
export function createNexusFile(path: string, options: CreateOptions = {}): File {
  if (path === "") throw new FileCreateError("the file name is empty");
  try {
    Deno.openSync(path, { createNew: true, write: true }).close();
  } catch (e) {
    throw new FileCreateError(hostReason(path, e));
  }
  try {
    return open(path, "w", options.trackOrder ?? false);
  } catch (e) {
    Deno.removeSync(path);
    throw e;
  }
}

/** Reopens an existing NeXus file for writing (crash-resume); throws {@linkcode FileCreateError} when it cannot. */
export function reopenNexusFile(path: string): File {
  try {
    const info = Deno.statSync(path);
    if (!info.isFile) throw new FileCreateError(`not a regular file: ${path}`);
    Deno.openSync(path, { write: true }).close();
  } catch (e) {
    if (e instanceof FileCreateError) throw e;
    throw new FileCreateError(hostReason(path, e));
  }
  return open(path, "a", false);
}

/** Flushes and closes `file`, then makes it read-only (0444), as kafka-to-nexus does at close. */
export function closeNexusFile(file: File, path: string): void {
  file.flush();
  const status = file.close();
  if (status < 0) throw new Error(`HDF5 could not close ${path} (status ${status})`);
  Deno.chmodSync(path, 0o444);
}

/** Stores the checkpoint `json` in the file (replacing an earlier one), then flushes the file. */
export function writeCheckpoint(file: File, json: string): void {
  removeCheckpoint(file);
  file.create_attribute(CHECKPOINT_ATTRIBUTE, json);
  file.flush();
}

/** The checkpoint stored in the file, or null when there is none. */
export function readCheckpoint(file: File): string | null {
  if (!file.attrs[CHECKPOINT_ATTRIBUTE]) return null;
  const value = file.get_attribute(CHECKPOINT_ATTRIBUTE, false);
  if (typeof value !== "string") throw new Error(`the attribute ${CHECKPOINT_ATTRIBUTE} is not a string`);
  return value;
}

/** Removes the checkpoint from the file, if it has one (at a clean close). */
export function removeCheckpoint(file: File): void {
  if (file.attrs[CHECKPOINT_ATTRIBUTE]) file.delete_attribute(CHECKPOINT_ATTRIBUTE);
}

/** Opens with h5wasm, turning HDF5's error stack into a FileCreateError (instead of -1n and stderr noise). */
function open(path: string, mode: "w" | "a", trackOrder: boolean): File {
  Module.activate_throwing_error_handler();
  let file: File;
  try {
    file = new h5wasm.File(path, mode, { libver: ["v108", "v110"], track_order: trackOrder });
  } catch (e) {
    throw new FileCreateError(`HDF5 cannot ${mode === "w" ? "create" : "open"} ${path}: ${firstHdf5Reason(e)}`);
  } finally {
    Module.deactivate_throwing_error_handler();
  }
  if (file.file_id < 0n) throw new FileCreateError(`HDF5 cannot ${mode === "w" ? "create" : "open"} ${path}`);
  return file;
}

/** The innermost HDF5 error line ("unable to open file: ...") of a thrown error stack. */
function firstHdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split("\n").filter((l) => /^\s*#\d+:/.test(l));
  const last = lines.at(-1);
  return last ? last.replace(/^\s*#\d+:\s*\S+ line \d+ in /, "").trim() : text.trim();
}

/** A clear reason for a host file system error on `path`. */
function hostReason(path: string, e: unknown): string {
  const parent = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  if (e instanceof Deno.errors.AlreadyExists) return `a file with that name already exists: ${path}`;
  if (e instanceof Deno.errors.NotFound) {
    return folderExists(parent) ? `no such file: ${path}` : `the folder ${parent} does not exist (for ${path})`;
  }
  if (e instanceof Deno.errors.PermissionDenied) return `no permission to write ${path}`;
  if (e instanceof Deno.errors.NotADirectory) return `${parent} is not a folder (for ${path})`;
  if (e instanceof Deno.errors.IsADirectory) return `${path} is a folder`;
  return `cannot create ${path}: ${e instanceof Error ? e.message : String(e)}`;
}

function folderExists(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
