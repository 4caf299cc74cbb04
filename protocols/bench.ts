/**
 * Protocols of the benchmark actors in `scripts/bench/support/`: the pipe, and the Kafka sender and receiver.
 *
 * @module
 */
import type { ConsumerLink, ProducerLink } from "./broker.ts";
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

/** The benchmark's sender (`scripts/bench/support/kafka_bench_sender.ts`): produces runs through an outbox. */
export interface BenchSenderProtocol {
  in: None;
  requests: {
    /** sends `count` records of `recordBytes` and replies once all are acknowledged, with the elapsed time. */
    run: { request: { topic: string; count: number; recordBytes: number }; reply: { ms: number; failed: number } };
  };
  out: None;
  ports: { records: ProducerLink };
}

/** The benchmark's receiver (`scripts/bench/support/kafka_bench_receiver.ts`): counts what the consumer delivers. */
export interface BenchReceiverProtocol {
  in: None;
  requests: {
    /** replies once `records` records arrived, with the time from the receiver's start and the bytes. */
    waitFor: { request: { records: number }; reply: { ms: number; bytes: number } };
  };
  out: None;
  ports: { batches: ConsumerLink };
}
