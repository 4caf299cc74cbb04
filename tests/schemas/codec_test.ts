import assert from "node:assert/strict";
import {
  answ,
  BadBufferError,
  da00,
  decodeAny,
  EncodeError,
  ev44,
  f142,
  f144,
  runStop,
  SCHEMAS,
  wrdn,
} from "../../schemas/mod.ts";
import { loadVector } from "../_harness/vectors.ts";

const EV44 = {
  source_name: "det1",
  reference_time: [1n],
  reference_time_index: [0],
  time_of_flight: new Int32Array([5, 6]),
  pixel_id: new Int32Array([7, 8]),
};

function refused(fn: () => unknown, path: string, text: RegExp) {
  assert.throws(fn, (e: unknown) => e instanceof EncodeError && e.path === path && text.test(e.message));
}

function bad(fn: () => unknown, text: RegExp) {
  assert.throws(fn, (e: unknown) => e instanceof BadBufferError && text.test(e.message));
}

Deno.test("encoders refuse objects that miss a required field", () => {
  const { source_name: _, ...noSource } = EV44;
  refused(() => ev44.encode(noSource as never), "Event44Message.source_name", /required field is missing/);
  refused(
    () => f144.encode({ source_name: "PV", timestamp: 1n } as never),
    "f144_LogData.value",
    /required union is missing/,
  );
  refused(() => answ.encode({ service_id: "fw" } as never), "ActionResponse.job_id", /required field is missing/);
  refused(
    () => wrdn.encode({ service_id: "fw", job_id: "j" } as never),
    "FinishedWriting.file_name",
    /required field is missing/,
  );
  refused(
    () => da00.encode({ source_name: "s", data: [{ shape: [1], data: [1] }] } as never),
    "da00_DataArray.data[0].name",
    /required field is missing/,
  );
});

Deno.test("encoders refuse values of the wrong type or out of range", () => {
  refused(() => ev44.encode({ ...EV44, message_id: "7" } as never), "Event44Message.message_id", /expected an integer/);
  refused(() => ev44.encode({ ...EV44, pixel_id: [2 ** 31] }), "Event44Message.pixel_id[0]", /out of range for int32/);
  refused(
    () => ev44.encode({ ...EV44, message_id: 2 ** 60 }),
    "Event44Message.message_id",
    /give int64 values above 2\^53 as bigint/,
  );
  refused(
    () => f144.encode({ source_name: "PV", value_type: "Text", value: {} } as never),
    "f144_LogData.value_type",
    /unknown member "Text" of union Value/,
  );
  refused(
    () => f142.encode({ status: "LOUD" } as never),
    "LogData.status",
    /unknown member "LOUD" of enum AlarmStatus/,
  );
  refused(() => runStop.encode({ job_id: 5 } as never), "RunStop.job_id", /expected a string, got 5/);
  refused(() => f144.encodeJson("{not json"), "input", /not JSON/);
});

Deno.test("encoders take enums by name or number and 64-bit integers exactly", () => {
  const max = 2n ** 64n - 1n;
  const bytes = f142.encode({ source_name: "PV", timestamp: max, status: 3, severity: "MAJOR" });
  const msg = f142.decode(bytes);
  assert.equal(msg.timestamp, max);
  assert.equal(msg.status, "HIHI");
  assert.equal(msg.severity, "MAJOR");
  assert.equal(
    f142.toJson(msg),
    `{"source_name":"PV","timestamp":18446744073709551615,"status":"HIHI","severity":"MAJOR"}`,
  );
  const back = f142.decode(f142.encodeJson(f142.toJson(msg)));
  assert.equal(back.timestamp, max);
});

Deno.test("decoding fills absent scalars with their schema defaults", () => {
  const msg = f142.decode(f142.encode({ source_name: "PV" }));
  assert.equal(msg.status, "NO_CHANGE");
  assert.equal(msg.severity, "NO_CHANGE");
  assert.equal(msg.timestamp, 0n);
  assert.equal(msg.value_type, "NONE");
});

Deno.test("decoders reject short, unknown and truncated buffers with BadBufferError", async () => {
  bad(() => decodeAny(new Uint8Array(7)), /shorter than 8 bytes/);
  bad(() => decodeAny(new TextEncoder().encode("\x08\0\0\0zz99\0\0\0\0")), /unknown file identifier "zz99"/);
  const golden = await loadVector("ev44");
  bad(() => f144.decode(golden), /file identifier is "ev44"/);
  bad(() => ev44.decode(golden.subarray(0, 100)), /outside the 100-byte buffer/);
  const rootOutside = golden.slice();
  new DataView(rootOutside.buffer).setUint32(0, 4096, true);
  bad(() => ev44.decode(rootOutside), /outside the 136-byte buffer/);
});

Deno.test("decoders reject a message that misses a required field", () => {
  const bytes = ev44.encode(EV44);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = view.getUint32(0, true);
  const vtable = table - view.getInt32(table, true);
  view.setUint16(vtable + 4, 0, true);
  bad(() => ev44.decode(bytes), /required field Event44Message.source_name is missing/);
});

Deno.test("registry holds every schema once under its file identifier", () => {
  for (const [id, codec] of SCHEMAS) {
    assert.equal(codec.id, id);
    assert.equal(codec.layout.id, id);
  }
  assert.ok(SCHEMAS.size >= 27);
});
