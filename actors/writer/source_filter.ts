/**
 * The per-source filter between a job's Kafka messages and its writer modules: kafka-to-nexus's
 * `SourceFilter::filter_message` (reference A.1, "Start/stop time handling", point 4), on the message's flatbuffer
 * timestamp in ns. Pure and synchronous; one filter per (schema, source) of a job.
 *
 * Rules, in the order they apply to each offered message:
 * 1. After the filter finished, nothing is written (counted `afterStop`).
 * 2. A message with the same timestamp as the previous message of the source is dropped (`repeated`), unless the
 *    module accepts repeats (events). "Previous" is the last message not dropped by this rule, wherever it went.
 * 3. A message older than the start (`timestamp < start`) is buffered: only the newest pre-start message is kept (an
 *    older one, or the one it replaces, is `superseded`). A module that does not write the last known value keeps
 *    none (`beforeStart`).
 * 4. A message newer than the stop (`timestamp > stop`) finishes the filter and is not written (`afterStop`); the
 *    buffered value, if any, is written then.
 * 5. Any other message is in the window and is written, right after the buffered value if there is one.
 *
 * Boundaries: a message exactly at the start or exactly at the stop is in the window (as in kafka-to-nexus, which
 * compares with `<` start and `>` stop). {@linkcode SourceFilter.finish} writes a value still buffered at the end of
 * the job: the "last known value" of a slow PV that sent nothing in the window.
 *
 * Every message offered is counted exactly once: `received = written + repeated + afterStop + superseded +
 * beforeStart`, plus one while a value is buffered.
 *
 * @module
 */

/** The filter's window and the writer module's rules. */
export interface SourceFilterOptions {
  /** the job's start, ns since the epoch. */
  startNs: bigint;
  /** the job's stop, ns since the epoch. */
  stopNs: bigint;
  /** the module writes messages with repeated timestamps (only events). */
  acceptsRepeats: boolean;
  /** the module writes the newest pre-start message (false for events). */
  writesLastKnownValue: boolean;
}

/** What happened to the messages offered to a filter. */
export interface FilterCounters {
  /** every message offered. */
  received: number;
  /** messages handed out to be written (by `offer` and `finish`). */
  written: number;
  /** dropped: same timestamp as the previous message. */
  repeated: number;
  /** dropped: the first message after the stop and everything after it. */
  afterStop: number;
  /** dropped: a pre-start message replaced by a newer one, or older than the one buffered. */
  superseded: number;
  /** dropped: a pre-start message of a module that does not write the last known value. */
  beforeStart: number;
}

/** A filter's state, to continue after a restart (JSON-friendly when `T` is: ns as decimal strings). */
export interface FilterCheckpoint<T> {
  /** the timestamp of the previous message, null before the first. */
  lastNs: string | null;
  finished: boolean;
  /** the newest pre-start message, not yet written. */
  buffered: { ns: string; item: T } | null;
  counters: FilterCounters;
}

/**
 * The source filter of one source.
 *
 * @typeParam T what is filtered (a decoded message, a record reference, ...)
 *
 * @example
 * ```ts
 * const filter = new SourceFilter<string>({
 *   startNs: 10n,
 *   stopNs: 20n,
 *   acceptsRepeats: false,
 *   writesLastKnownValue: true,
 * });
 * filter.offer(5n, "a"); // [] (buffered)
 * filter.offer(12n, "b"); // ["a", "b"]
 * filter.offer(12n, "c"); // [] (repeated)
 * filter.offer(21n, "d"); // [] (after the stop: finished)
 * ```
 */
export class SourceFilter<T> {
  /** what happened to the messages so far. */
  readonly counters: FilterCounters;
  #startNs: bigint;
  #stopNs: bigint;
  #acceptsRepeats: boolean;
  #writesLastKnownValue: boolean;
  #lastNs: bigint | null;
  #finished: boolean;
  #buffered: { ns: bigint; item: T } | null;

  /**
   * @param options the window and the module's rules (on restore: the current ones, e.g. a stop changed since)
   * @param restore a checkpoint of an earlier filter of the same source, to continue where it was
   */
  constructor(options: SourceFilterOptions, restore?: FilterCheckpoint<T>) {
    this.#startNs = options.startNs;
    this.#stopNs = options.stopNs;
    this.#acceptsRepeats = options.acceptsRepeats;
    this.#writesLastKnownValue = options.writesLastKnownValue;
    this.#lastNs = restore && restore.lastNs !== null ? BigInt(restore.lastNs) : null;
    this.#finished = restore?.finished ?? false;
    this.#buffered = restore?.buffered ? { ns: BigInt(restore.buffered.ns), item: restore.buffered.item } : null;
    this.counters = restore
      ? { ...restore.counters }
      : { received: 0, written: 0, repeated: 0, afterStop: 0, superseded: 0, beforeStart: 0 };
  }

  /** Moves the stop (a 6s4t). A filter that already finished stays finished. */
  setStop(stopNs: bigint): void {
    this.#stopNs = stopNs;
  }

  /**
   * Offers the source's next message.
   *
   * @param timestampNs the message's flatbuffer timestamp
   * @returns what to write now, in order: the buffered pre-start value (once) and then this message; `[]` when the
   * message was dropped or buffered; only the buffered value for the first message after the stop
   */
  offer(timestampNs: bigint, item: T): T[] {
    const c = this.counters;
    c.received++;
    if (this.#finished) {
      c.afterStop++;
      return [];
    }
    if (!this.#acceptsRepeats && timestampNs === this.#lastNs) {
      c.repeated++;
      return [];
    }
    this.#lastNs = timestampNs;
    if (timestampNs < this.#startNs) {
      this.#buffer(timestampNs, item);
      return [];
    }
    const out = this.#takeBuffered();
    if (timestampNs > this.#stopNs) {
      this.#finished = true;
      c.afterStop++;
    } else {
      out.push(item);
      c.written++;
    }
    return out;
  }

  /** At the end of the job: the buffered pre-start value if it was never written (else `[]`). */
  finish(): T[] {
    return this.#takeBuffered();
  }

  /** Whether the first message after the stop was seen: nothing more will be written. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The state to continue from after a restart ({@linkcode SourceFilter} constructor's `restore`). */
  checkpoint(): FilterCheckpoint<T> {
    const b = this.#buffered;
    return {
      lastNs: this.#lastNs === null ? null : String(this.#lastNs),
      finished: this.#finished,
      buffered: b ? { ns: String(b.ns), item: b.item } : null,
      counters: { ...this.counters },
    };
  }

  #buffer(ns: bigint, item: T): void {
    if (!this.#writesLastKnownValue) {
      this.counters.beforeStart++;
    } else if (this.#buffered && ns < this.#buffered.ns) {
      this.counters.superseded++;
    } else {
      if (this.#buffered) this.counters.superseded++;
      this.#buffered = { ns, item };
    }
  }

  #takeBuffered(): T[] {
    const b = this.#buffered;
    if (!b) return [];
    this.#buffered = null;
    this.counters.written++;
    return [b.item];
  }
}
