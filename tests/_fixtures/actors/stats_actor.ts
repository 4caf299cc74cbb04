/**
 * A test actor that answers a `stats` request, as the admin endpoint's `GET /stats` asks: it counts the `bump`
 * messages it is sent. Configured to fail or to be slow, it shows how `GET /stats` reports those.
 *
 * @module
 */
import { defineActor } from "../../../actors/runtime/actor.ts";
import type { None } from "../../../protocols/runtime.ts";

/** The stats actor's protocol. */
export interface StatsActorProtocol {
  in: { type: "bump" };
  requests: { stats: { request: null; reply: StatsActorStats } };
  out: None;
  ports: None;
}

/** Its reply to `stats`. */
export interface StatsActorStats {
  bumps: number;
  name: string;
}

/** Its configuration. */
export interface StatsActorConfig {
  /** the `stats` handler throws this message. */
  fail?: string;
  /** the `stats` handler waits this long before it replies. */
  replyDelayMs?: number;
}

interface State {
  bumps: number;
  config: StatsActorConfig;
}

export default defineActor<StatsActorProtocol, StatsActorConfig | undefined, State>({
  init: (config) => ({ bumps: 0, config: config ?? {} }),
  handle(state) {
    state.bumps++;
  },
  requests: {
    async stats(state, _body, ctx) {
      if (state.config.fail) throw new Error(state.config.fail);
      if (state.config.replyDelayMs) await new Promise((r) => setTimeout(r, state.config.replyDelayMs));
      return { bumps: state.bumps, name: ctx.id };
    },
  },
});
