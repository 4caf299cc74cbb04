/**
 * The downstream side of the consumer actor's `batches` channel: receives batches, confirms positions, and answers a
 * new consumer incarnation's `hello` with the positions confirmed so far, so that the consumer continues there
 * (`continueFrom`).
 *
 * Batches of an older consumer incarnation that arrive after a newer one said `hello` are dropped (the new one
 * delivers them again from the confirmed position).
 *
 * @module
 */
import type { ConsumerLink, Position } from "../../protocols/broker.ts";
import type { Port } from "../runtime/actor.ts";

/** A batch as the downstream receives it. */
export type InboxBatch = Extract<ConsumerLink, { type: "batch" }>;

/** What the inbox calls. */
export interface InboxHandlers {
  /** Handles a batch; when it resolves the batch's end is confirmed (with `autoConfirm`). */
  onBatch(batch: InboxBatch): void | Promise<void>;
  onEndOfPartition?(topic: string, partition: number, offset: number): void;
}

/** The downstream end of a consumer's channel; see the module doc. */
export class ConsumerInbox {
  #epoch: string | null = null;
  #positions = new Map<string, Position>();
  #chain: Promise<void> = Promise.resolve();
  staleBatches = 0;

  /**
   * @param autoConfirm confirm each batch once `onBatch` finished with it. @default true
   * @param continueAt positions to continue at, known from before this incarnation (e.g. a checkpoint in a file): the
   * consumer continues there instead of at its configured start.
   */
  constructor(
    readonly port: Port<ConsumerLink>,
    readonly handlers: InboxHandlers,
    readonly autoConfirm = true,
    continueAt: Position[] = [],
  ) {
    for (const p of continueAt) this.#positions.set(`${p.topic}\u0000${p.partition}`, { ...p });
    port.post({ type: "attach" }); // before listening: a hello that arrived early is handled inside onMessage
    port.onMessage((m) => this.#receive(m));
  }

  /** The confirmed positions (next offset to read), one per partition. */
  positions(): Position[] {
    return [...this.#positions.values()];
  }

  /** Confirms that everything before `position.offset` is done with. */
  confirm(position: Position): void {
    this.#positions.set(`${position.topic}\u0000${position.partition}`, { ...position });
    this.port.post({ type: "confirm", position });
  }

  /** Asks the consumer to stop fetching, or to go on. */
  pause(paused: boolean): void {
    this.port.post({ type: paused ? "pause" : "resume" });
  }

  #receive(m: ConsumerLink): void {
    switch (m.type) {
      case "hello":
        this.#epoch = m.epoch;
        this.port.post({ type: "continueFrom", positions: this.positions() });
        return;
      case "batch":
        if (m.epoch !== this.#epoch) {
          this.staleBatches++;
          return;
        }
        this.#chain = this.#chain.then(() => this.#handle(m));
        return;
      case "endOfPartition":
        // after the batches before it are handled (they may arrive in the same turn, and are handled in order)
        this.#chain = this.#chain.then(() => this.handlers.onEndOfPartition?.(m.topic, m.partition, m.offset));
        return;
    }
  }

  async #handle(batch: InboxBatch): Promise<void> {
    await this.handlers.onBatch(batch);
    if (!this.autoConfirm || batch.records.length === 0 || batch.epoch !== this.#epoch) return;
    const last = batch.records[batch.records.length - 1].offset;
    this.confirm({ topic: batch.topic, partition: batch.partition, offset: last + 1 });
  }
}
