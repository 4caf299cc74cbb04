/**
 * The demo role: a synthetic detector streaming neutron events to a counter over a direct channel, under a
 * `restForOne` supervisor. It is what `nxflow start` runs when no other role is configured, so that a fresh
 * installation shows the actor system working (rates in the log, the tree at the admin endpoint, faults to inject).
 *
 * Configuration (`roles.demo`): `pulseHz` (14), `eventsPerPulse` (10000), `pixels` (16384), `seed` (1),
 * `reportIntervalMs` (5000).
 *
 * @module
 */
import type { CounterProtocol } from "../../protocols/demo.ts";
import { mergeChecked } from "../cli/merge_checked.ts";
import type { Role } from "../roles.ts";
import type { CounterConfig } from "./counter.ts";
import type { SourceConfig } from "./source.ts";

/** The demo role's configuration. */
export type DemoConfig = SourceConfig & CounterConfig;

const DEFAULTS: DemoConfig = { pulseHz: 14, eventsPerPulse: 10_000, pixels: 16_384, seed: 1, reportIntervalMs: 5000 };

/** The demo role. */
export const demo: Role<DemoConfig> = {
  name: "demo",
  summary: "synthetic detector → event counter over a direct channel",
  byDefault: true,
  check(section, where) {
    const c = mergeChecked(DEFAULTS, section, where);
    for (const key of ["pulseHz", "eventsPerPulse", "pixels", "reportIntervalMs"] as const) {
      if (!(c[key] > 0)) throw new RangeError(`Cannot use ${where}.${key}: must be positive, got ${c[key]}`);
    }
    if (c.pulseHz > 1000) throw new RangeError(`Cannot use ${where}.pulseHz: at most 1000, got ${c.pulseHz}`);
    return c;
  },
  tree: (c) => ({
    id: "demo",
    strategy: "restForOne",
    intensity: 5,
    periodMs: 10_000,
    children: [
      {
        id: "counter",
        module: new URL("./counter.ts", import.meta.url),
        config: { pixels: c.pixels, reportIntervalMs: c.reportIntervalMs } satisfies CounterConfig,
      },
      {
        id: "source",
        module: new URL("./source.ts", import.meta.url),
        config: { pulseHz: c.pulseHz, eventsPerPulse: c.eventsPerPulse, pixels: c.pixels, seed: c.seed },
      },
    ],
    channels: [{ name: "events", between: ["source", "counter"] }],
  }),
  attach(system, _config, log) {
    system.ref<CounterProtocol>("demo/counter").onEmit((r) => {
      log("info", "root/demo/counter", `${r.eventsPerSecond} events/s, ${r.events} events in ${r.pulses} pulses`, {
        busiestPixel: r.busiestPixel.id,
        meanTimeOfFlightMs: Number(r.meanTimeOfFlightMs.toFixed(2)),
      });
    });
  },
};
