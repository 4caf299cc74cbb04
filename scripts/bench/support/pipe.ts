/**
 * The send and receive loops of the messaging benchmark, shared by the nxflow actors and by the raw-worker anchor,
 * so that both measure the same work over a `MessagePort`-like channel.
 *
 * @module
 */
import type { PipeMessage, PipeRun } from "../../../protocols/bench.ts";

/** Anything that can post a pipe message (an nxflow port or a raw MessagePort with a transfer list). */
export type Post = (message: PipeMessage) => void;

const CREDIT = 64;

/**
 * Sends a burst and resolves with the elapsed time when the sink confirms it received everything. Blocks are sent
 * with at most `CREDIT` outstanding, acknowledged by the sink every `CREDIT / 2`, so memory stays bounded.
 */
export function send(run: PipeRun, post: Post, onReply: (listener: (m: PipeMessage) => void) => void): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let sent = 0;
    const pump = (confirmed: number) => {
      while (sent < run.count && sent - confirmed < CREDIT) {
        post(
          run.mode === "small"
            ? { type: "small", seq: sent }
            : { type: "block", data: new ArrayBuffer(run.blockBytes) },
        );
        sent++;
      }
    };
    onReply((m) => {
      if (m.type !== "done") return;
      if (m.received === run.count) resolve(performance.now() - t0);
      else pump(m.received);
    });
    post({ type: "begin", count: run.count });
    pump(0);
  });
}

/** The receiving side: counts messages and confirms progress every `CREDIT / 2` and at the end of a burst. */
export function sink(post: Post): (m: PipeMessage) => void {
  let received = 0;
  let count = 0;
  return (m) => {
    if (m.type === "begin") {
      received = 0;
      count = m.count;
      return;
    }
    received++;
    if (m.type === "block" && m.data.byteLength === 0) throw new Error("block arrived empty");
    if (received % (CREDIT / 2) === 0 || received === count) post({ type: "done", received });
  };
}
