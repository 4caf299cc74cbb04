/// <reference lib="deno.worker" />
/**
 * The anchor of the messaging benchmark: a bare Worker (no nxflow runtime) that runs the same pipe loops over a raw
 * MessagePort. The first message carries the port and the role ("send" with a run, or "sink").
 */
import type { PipeMessage, PipeRun } from "../../../protocols/bench.ts";
import { transferablesOf } from "../../../actors/runtime/transfer.ts";
import { send, sink } from "./pipe.ts";

self.onmessage = async (e: MessageEvent<{ port: MessagePort; role: "send" | "sink"; runs?: PipeRun[] }>) => {
  const { port, role, runs } = e.data;
  const post = (m: PipeMessage) => port.postMessage(m, transferablesOf(m));
  if (role === "sink") {
    port.onmessage = (ev) => handle(ev.data);
    const handle = sink(post);
    return;
  }
  let listener = (_m: PipeMessage) => {};
  port.onmessage = (ev) => listener(ev.data);
  const times: number[] = [];
  for (const run of runs!) {
    times.push(await send(run, post, (l) => (listener = l)));
  }
  self.postMessage(times);
};
