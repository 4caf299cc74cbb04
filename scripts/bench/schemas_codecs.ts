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

/** Measurement rounds: each function is timed in every round, the rounds interleaved. */
const ROUNDS = 5;

/** Calls `fn` for about `ms` milliseconds; returns calls per second. */
function rate(fn: () => unknown, ms: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 8; i++) fn();
    calls += 8;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

/**
 * Calls per second of each function: after a warm-up, ROUNDS rounds that time every function in turn for
 * SECONDS / ROUNDS each; the best round of each counts. Interleaving makes a figure and its anchor see the same
 * machine (other processes come and go), and the best round is the one least disturbed by them.
 */
function rates(...fns: (() => unknown)[]): number[] {
  for (const fn of fns) rate(fn, SECONDS * 200);
  const best = fns.map(() => 0);
  for (let round = 0; round < ROUNDS; round++) {
    fns.forEach((fn, i) => best[i] = Math.max(best[i], rate(fn, (SECONDS * 1000) / ROUNDS)));
  }
  return best;
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
  const [copyRate, freshCopyRate, intoRate, encodeRate, decodeRate] = rates(
    () => copy.set(message),
    () => message.slice(),
    () => ev44.encodeInto(input, target),
    () => ev44.encode(input),
    () => ev44.decode(message),
  );
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
const [scalarEncode, scalarInto, scalarDecode] = rates(
  () => f144.encode(scalar),
  () => f144.encodeInto(scalar, scalarTarget),
  () => f144.decode(scalarMessage),
);
report({ bench: "schemas", figure: "f144 scalar encode", value: scalarEncode, unit: "messages/s" });
report({ bench: "schemas", figure: "f144 scalar encodeInto", value: scalarInto, unit: "messages/s" });
report({ bench: "schemas", figure: "f144 scalar decode", value: scalarDecode, unit: "messages/s" });
