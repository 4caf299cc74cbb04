/** `encodeInto`: the same bytes as `encode`, written into the caller's memory; too-small targets and refusals. */
import assert from "node:assert/strict";
import { EncodeError, ev44, f144, SCHEMAS, TargetTooSmallError } from "../../schemas/mod.ts";
import { randomMessage, Rng } from "../_harness/random_message.ts";

const EV44 = {
  source_name: "det1",
  message_id: 9n,
  reference_time: new BigInt64Array([1700000000000000000n]),
  reference_time_index: new Int32Array([0]),
  time_of_flight: new Int32Array([5, 6, 7]),
  pixel_id: new Int32Array([7, 8, 9]),
};

Deno.test("encodeInto writes the bytes encode gives, at the end of the target, for every schema", () => {
  const rng = new Rng(5150);
  const target = new Uint8Array(1 << 16);
  for (const [id, codec] of SCHEMAS) {
    for (let i = 0; i < 20; i++) {
      const input = randomMessage(codec.layout, rng, i, { sparse: i % 2 === 1 }) as never;
      const fresh = codec.encode(input);
      const into = codec.encodeInto(input, target);
      assert.equal(into.buffer, target.buffer, id);
      assert.equal(into.byteOffset + into.length, target.length, id);
      assert.deepEqual(into, fresh, `${id} case ${i}`);
      assert.deepEqual(codec.decode(into), codec.decode(fresh), `${id} case ${i}`);
    }
  }
});

Deno.test("encodeInto aligns the message within a target whose end is not 8-aligned", () => {
  const backing = new Uint8Array(4096);
  const target = backing.subarray(3, 4093);
  const bytes = ev44.encodeInto(EV44, target);
  assert.equal((bytes.byteOffset + bytes.length) % 8, 0);
  assert.ok(bytes.byteOffset + bytes.length <= target.byteOffset + target.length);
  const msg = ev44.decode(bytes);
  assert.equal(msg.time_of_flight!.buffer, backing.buffer, "aligned vectors are views, not copies");
  assert.equal(msg.reference_time.buffer, backing.buffer);
  assert.deepEqual(Array.from(msg.pixel_id!), [7, 8, 9]);
  assert.equal(msg.message_id, 9n);
});

Deno.test("encodeInto refuses a target that is too small and names a size that fits", () => {
  const size = ev44.encode(EV44).length;
  let needed = 0;
  assert.throws(
    () => ev44.encodeInto(EV44, new Uint8Array(size - 8)),
    (e: unknown) => e instanceof TargetTooSmallError && e.available === size - 8 && (needed = e.needed) >= size,
  );
  assert.deepEqual(ev44.encodeInto(EV44, new Uint8Array(needed)), ev44.encode(EV44));
});

Deno.test("encode gives a whole message when the input outgrows its size guess", () => {
  // The guess counts own enumerable values; fields behind prototype getters are invisible to it.
  class Events {
    get source_name() {
      return "det1";
    }
    get reference_time() {
      return [1n];
    }
    get reference_time_index() {
      return [0];
    }
    get pixel_id() {
      return new Int32Array(5000).fill(3);
    }
  }
  const msg = ev44.decode(ev44.encode(new Events()));
  assert.equal(msg.pixel_id!.length, 5000);
  assert.ok(msg.pixel_id!.every((p) => p === 3));
});

Deno.test("an encode refused halfway leaves nothing behind for the next one", () => {
  const good = ev44.encode(EV44).slice();
  for (const bad of [{ ...EV44, message_id: "x" }, { ...EV44, pixel_id: [1, 2 ** 40] }, { ...EV44, source_name: 3 }]) {
    assert.throws(() => ev44.encode(bad as never), EncodeError);
    assert.throws(() => ev44.encodeInto(bad as never, new Uint8Array(1024)), EncodeError);
    assert.deepEqual(ev44.encode(EV44), good);
  }
});

Deno.test("an encode started while another is running (from a getter of its input) gives both messages whole", () => {
  let inner: Uint8Array | undefined;
  const outer = {
    ...EV44,
    get source_name() {
      inner = f144.encode({ source_name: "PV:T", timestamp: 5n, value_type: "Double", value: { value: 2.5 } });
      return "det1";
    },
  };
  const bytes = ev44.encode(outer);
  assert.deepEqual(bytes, ev44.encode(EV44));
  assert.deepEqual(f144.decode(inner!), {
    source_name: "PV:T",
    timestamp: 5n,
    value_type: "Double",
    value: { value: 2.5 },
  });
});

Deno.test("strings are written as UTF-8 the way TextEncoder writes them, lone surrogates as U+FFFD", () => {
  for (const name of ["", "ascii", "Ünïcødé", "中文", "🚀x", "a\ud800b", "\udc00", "end\ud83d"]) {
    const msg = ev44.decode(ev44.encode({ ...EV44, source_name: name }));
    assert.equal(msg.source_name, new TextDecoder().decode(new TextEncoder().encode(name)), JSON.stringify(name));
  }
});
