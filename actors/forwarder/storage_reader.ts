/**
 * Reads a forwarder's storage topic (partition 0, from the beginning, over channel `batches`) for
 * `nxflow forwarder-config list`: the stream set is that of the last fc00 message, as the forwarder restores it at
 * start-up; anything else is counted as junk. Speaks protocols/forwarder.ts. Restart: transient.
 *
 * @module
 */
import type { StorageReaderProtocol, StoredStreams } from "../../protocols/forwarder.ts";
import { ConsumerInbox } from "../broker/inbox.ts";
import { defineActor } from "../runtime/actor.ts";
import { applyChange, type ConfigChange, decodeChange } from "./streams.ts";

interface State {
  stored: ConfigChange | null;
  junk: number;
  done: boolean;
  waiting: ((s: StoredStreams) => void)[];
}

function result(state: State): StoredStreams {
  if (!state.stored) return { streams: null, junk: state.junk, skipped: [] };
  const r = applyChange([], state.stored);
  return { streams: r.streams, junk: state.junk, skipped: r.skipped };
}

export default defineActor<StorageReaderProtocol, undefined, State>({
  init(_config, ctx) {
    const state: State = { stored: null, junk: 0, done: false, waiting: [] };
    new ConsumerInbox(ctx.port("batches"), {
      onBatch(batch) {
        for (const record of batch.records) {
          try {
            state.stored = decodeChange(record.value);
          } catch {
            state.junk++;
          }
        }
      },
      onEndOfPartition() {
        state.done = true;
        for (const resolve of state.waiting.splice(0)) resolve(result(state));
      },
    });
    return state;
  },
  requests: {
    list: (state) => state.done ? result(state) : new Promise((resolve) => state.waiting.push(resolve)),
  },
});
