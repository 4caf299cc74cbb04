/**
 * The file writer's guard against ev44 messages stored twice in Kafka. A restarted producer re-sends the records it
 * held, and a record whose acknowledgement died with the crash is then in Kafka twice (the broker actors' only
 * duplicates). A job drops an ev44 whose (source, message id, first pulse time) it has already seen; the message id
 * alone is not enough, since ids start again with a new process. The keys of the last `capacity` ev44 messages of
 * the job are kept: a producer re-sends soon after what it sent before its crash.
 *
 * Across a crash-resume of the file writer the keys of the last {@linkcode CHECKPOINT_KEYS} messages go in the
 * checkpoint (`recent`, `seed`): the replacement re-reads Kafka from the checkpoint's offsets, and a repeat whose
 * first copy lies before them (a record a restarted EFU serialiser sent again, seconds later) is still recognised.
 *
 * @module
 */
import type { Event44Message } from "../../schemas/ev44/codec.ts";

/** Keys a checkpoint keeps: re-sends come within seconds, and 2,000 messages are 25 s at 1e6 events/s. */
export const CHECKPOINT_KEYS = 2000;

/** Keys of the recently seen ev44 messages of one job. */
export class EventDedup {
  readonly #keys = new Set<string>();
  readonly #order: string[] = [];
  #head = 0;

  /** @param capacity how many recent messages are remembered. */
  constructor(readonly capacity = 100_000) {}

  /** The keys of the last `n` messages, oldest first (for a checkpoint). */
  recent(n = CHECKPOINT_KEYS): string[] {
    return this.#order.slice(Math.max(this.#head, this.#order.length - n));
  }

  /** Remembers `keys` (from a checkpoint's {@linkcode EventDedup.recent}) as seen. */
  seed(keys: string[]): void {
    for (const key of keys) this.#remember(key);
  }

  /** Records the message and tells whether one with the same source, message id and first pulse time came before. */
  seen(source: string, message: Event44Message): boolean {
    const key = `${source}\u0000${message.message_id}\u0000${message.reference_time[0] ?? "-"}`;
    if (this.#keys.has(key)) return true;
    this.#remember(key);
    return false;
  }

  #remember(key: string): void {
    if (this.#keys.has(key)) return;
    this.#keys.add(key);
    this.#order.push(key);
    if (this.#order.length - this.#head > this.capacity) {
      this.#keys.delete(this.#order[this.#head++]);
      if (this.#head > this.capacity) {
        this.#order.splice(0, this.#head);
        this.#head = 0;
      }
    }
  }
}
