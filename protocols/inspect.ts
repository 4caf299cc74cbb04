/**
 * The protocol of `nxflow inspect`'s printer actor (`actors/inspect/printer.ts`), which prints the records of a Kafka
 * topic that nxflow's consumer actor feeds it. Types only.
 *
 * @module
 */
import type { ConsumerLink } from "./broker.ts";
import type { None } from "./runtime.ts";

/** What the printer actor is told: the topic, and per partition where to start and (without follow) where to stop. */
export interface PrinterConfig {
  topic: string;
  format: "json" | "table";
  /** records to print at most; null: no limit. */
  count: number | null;
  follow: boolean;
  /** `from`: first offset to print; `end`: the high watermark when the tool started. */
  partitions: { partition: number; from: number; end: number }[];
}

/** The printer actor (`actors/inspect/printer.ts`): fed by the consumer actor, reports when it is done. */
export interface PrinterProtocol {
  in: None;
  requests: Record<string, never>;
  out: { type: "done"; printed: number; broken: number; outputClosed: boolean };
  ports: { batches: ConsumerLink };
}
