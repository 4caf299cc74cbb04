/**
 * Fuzzing every decoder with a fixed number of cases (bounded time): random bytes, and valid messages with bit flips,
 * truncation and offsets pointed outside the buffer. The only failure allowed is BadBufferError; a message decoded
 * inside a larger buffer must decode exactly as a copy of it alone (nothing outside the message was read).
 */
import assert from "node:assert/strict";
import { BadBufferError, type Codec, SCHEMAS } from "../../schemas/mod.ts";
import { randomMessage, Rng } from "../_harness/random_message.ts";

const CASES_PER_KIND = 150;

function outcome(codec: Codec<unknown, unknown>, bytes: Uint8Array): string {
  try {
    return codec.toJson(codec.decode(bytes));
  } catch (error) {
    if (error instanceof BadBufferError) return `BadBufferError`;
    throw new Error(`${codec.id}: ${(error as Error).name} instead of BadBufferError: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Decodes `bytes` alone and inside a larger buffer of random bytes; both must agree. */
function check(codec: Codec<unknown, unknown>, bytes: Uint8Array, rng: Rng) {
  const alone = outcome(codec, bytes.slice());
  const before = 8 * rng.int(4);
  const backing = Uint8Array.from({ length: before + bytes.length + 64 }, () => rng.int(256));
  backing.set(bytes, before);
  assert.equal(outcome(codec, backing.subarray(before, before + bytes.length)), alone, `${codec.id}: read outside`);
}

function mutate(bytes: Uint8Array, rng: Rng, kind: number): Uint8Array {
  const out = bytes.slice();
  if (kind === 0) {
    for (let k = 0; k <= rng.int(4); k++) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  }
  if (kind === 1) return out.subarray(0, rng.int(out.length));
  const view = new DataView(out.buffer);
  const at = 4 * rng.int(Math.floor(out.length / 4));
  if (at === 4) return out;
  view.setUint32(at, [0xffffffff, out.length, out.length - at, 0x7fffffff, 2 ** 31][rng.int(5)], true);
  return out;
}

for (const [id, codec] of SCHEMAS) {
  Deno.test(`fuzz ${id}: random bytes and mutated messages give a value or BadBufferError, nothing else`, () => {
    const rng = new Rng(0x5eed + id.charCodeAt(0) * 31 + id.charCodeAt(3));
    for (let i = 0; i < CASES_PER_KIND; i++) {
      const noise = Uint8Array.from({ length: rng.int(200) }, () => rng.int(256));
      if (noise.length >= 8 && i % 2 === 0) noise.set(new TextEncoder().encode(id), 4);
      check(codec, noise, rng);
    }
    for (let i = 0; i < CASES_PER_KIND; i++) {
      const valid = codec.encode(randomMessage(codec.layout, rng, i, { maxLength: 6, sparse: true }) as never);
      for (let kind = 0; kind < 3; kind++) check(codec, mutate(valid, rng, kind), rng);
    }
  });
}
