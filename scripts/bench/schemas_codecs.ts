/**
 * Schema codec speed: ev44 encodeInto (a reused target), encode (a fresh message) and decode for 12,400- and
 * 1,000,000-event messages (events/s and MB/s), compared in the same run with a plain `Uint8Array.set` copy of the
 * same bytes into a reused array (the memory-bandwidth limit) and, for encode, with `slice` (a copy into fresh
 * memory, which costs allocating and zeroing it first); f144 scalar encode, encodeInto and decode in messages/s.
 * Prints one JSON line per figure.
 *
 * Usage: deno run -A scripts/bench/schemas_codecs.ts [--seconds S]
 */
import { parseArgs } from "node:util";
import { ev44, f144 } from "../../schemas/mod.ts";
import { report } from "./support/report.ts";

const { values } = parseArgs({ args: Deno.args, options: { seconds: { type: "string" } } });
const SECONDS = Number(values.seconds ?? 0.5);

/** Runs `fn` repeatedly for about SECONDS (after a short warm-up); returns calls per second. */
function rate(fn: () => unknown): number {
  const warm = performance.now() + SECONDS * 200;
  while (performance.now() < warm) fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < SECONDS * 1000) {
    for (let i = 0; i < 8; i++) fn();
    calls += 8;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

function ev44Input(events: number) {
  const tof = new Int32Array(events);
  const pixel = new Int32Array(events);
  for (let i = 0; i < events; i++) {
    tof[i] = (i * 7919) % 71_000_000;
    pixel[i] = (i * 104729) % 1_000_000;
  }
  return {
    source_name: "bench_detector",
    message_id: 1n,
    reference_time: new BigInt64Array([1700000000000000000n]),
    reference_time_index: new Int32Array([0]),
    time_of_flight: tof,
    pixel_id: pixel,
  };
}

for (const events of [12_400, 1_000_000]) {
  const input = ev44Input(events);
  const message = ev44.encode(input);
  const mb = message.length / 1e6;
  const target = new Uint8Array(message.length + 64);
  const copy = new Uint8Array(message.length);
  const copyRate = rate(() => copy.set(message));
  const freshCopyRate = rate(() => message.slice());
  const intoRate = rate(() => ev44.encodeInto(input, target));
  const encodeRate = rate(() => ev44.encode(input));
  const decodeRate = rate(() => ev44.decode(message));
  const anchor = { anchor: "Uint8Array.set of the same bytes into a reused array", anchorValue: copyRate * mb };
  const fresh = { anchor: "Uint8Array.slice of the same bytes (fresh memory)", anchorValue: freshCopyRate * mb };
  const figure = (what: string) => `ev44 ${what} ${events} events`;
  report({
    bench: "schemas",
    figure: figure("encodeInto"),
    value: intoRate * mb,
    unit: "MB/s",
    ...anchor,
    goal: ">= 0.5x memcpy",
    met: intoRate >= 0.5 * copyRate,
  }); // deno-fmt-ignore
  report({ bench: "schemas", figure: figure("encodeInto"), value: intoRate * events, unit: "events/s" });
  report({ bench: "schemas", figure: figure("encode"), value: encodeRate * mb, unit: "MB/s", ...anchor });
  report({ bench: "schemas", figure: figure("encode"), value: encodeRate * mb, unit: "MB/s", ...fresh });
  report({ bench: "schemas", figure: figure("encode"), value: encodeRate * events, unit: "events/s" });
  report({ bench: "schemas", figure: figure("decode"), value: decodeRate * mb, unit: "MB/s", ...anchor });
  report({ bench: "schemas", figure: figure("decode"), value: decodeRate * events, unit: "events/s" });
  report({ bench: "schemas", figure: figure("decode"), value: 1e6 / decodeRate, unit: "us/message" });
}

const scalar = {
  source_name: "PV:TEMP",
  timestamp: 1700000000000000000n,
  value_type: "Double",
  value: { value: 3.5 },
} as const; // deno-fmt-ignore
const scalarMessage = f144.encode(scalar);
const scalarTarget = new Uint8Array(256);
report({ bench: "schemas", figure: "f144 scalar encode", value: rate(() => f144.encode(scalar)), unit: "messages/s" });
report({
  bench: "schemas",
  figure: "f144 scalar encodeInto",
  value: rate(() => f144.encodeInto(scalar, scalarTarget)),
  unit: "messages/s",
}); // deno-fmt-ignore
report({
  bench: "schemas",
  figure: "f144 scalar decode",
  value: rate(() => f144.decode(scalarMessage)),
  unit: "messages/s",
});
