/**
 * Protocols of the benchmark actors in `scripts/bench/support/`.
 *
 * @module
 */
import type { None } from "./runtime.ts";

/** What crosses the benchmark pipe: small records, or 1 MiB blocks that are transferred. */
export type PipeMessage =
  | { type: "small"; seq: number }
  | { type: "block"; data: ArrayBuffer }
  | { type: "begin"; count: number }
  | { type: "done"; received: number };

/** One measured run through the pipe. */
export interface PipeRun {
  mode: "small" | "block";
  count: number;
  blockBytes: number;
}

/** The sending end of the pipe: runs a measured burst on request. */
export interface PipeSenderProtocol {
  in: None;
  requests: { run: { request: PipeRun; reply: { elapsedMs: number } }; ping: { request: null; reply: "pong" } };
  out: None;
  ports: { pipe: PipeMessage };
}

/** The receiving end of the pipe. */
export interface PipeSinkProtocol {
  in: None;
  requests: { ping: { request: null; reply: "pong" } };
  out: None;
  ports: { pipe: PipeMessage };
}
