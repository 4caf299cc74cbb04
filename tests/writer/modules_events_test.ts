/** The event writer modules ev44 and ev42: datasets, per-message rules and cues, read back with h5py. */
import assert from "node:assert/strict";
import { ev42Module } from "../../actors/writer/modules/ev42.ts";
import { ev44Module } from "../../actors/writer/modules/ev44.ts";
import { ModuleWriteError } from "../../actors/writer/modules/module.ts";
import { decodeAny, ev42, ev44 } from "../../schemas/mod.ts";
import type { Event44MessageInput } from "../../schemas/ev44/codec.ts";
import type { DecodedTable } from "../../schemas/reader.ts";
import { objectAt } from "../_harness/h5py.ts";
import { loadVector } from "../_harness/vectors.ts";
import { open, written } from "./modules_helpers.ts";

const ev44Message = (input: Omit<Event44MessageInput, "source_name">): DecodedTable =>
  decodeAny(ev44.encode({ source_name: "det", ...input })).message;

/** Four messages: 3 events, 2 pulses with 4 events, a pulse without events, 1 event without pixel ids. */
const EV44_MESSAGES = [
  { reference_time: [1000], reference_time_index: [0], time_of_flight: [10, 20, 30], pixel_id: [1, 2, 3] },
  { reference_time: [2000, 3000], reference_time_index: [0, 2], time_of_flight: [5, 6, 7, 8], pixel_id: [4, 5, 6, 7] },
  { reference_time: [4000], reference_time_index: [0], time_of_flight: [], pixel_id: [] },
  { reference_time: [5000], reference_time_index: [0], time_of_flight: [9] },
];

Deno.test("ev44 writes the six NXevent_data datasets with kafka-to-nexus's types, attributes and default chunks", async () => {
  let bytes = 0;
  const file = await written((group) => {
    const module = open(ev44Module, group);
    for (const m of EV44_MESSAGES) bytes += module.write(ev44Message(m));
    module.close();
  });
  const at = (name: string) => objectAt(file, `/entry/${name}`);
  assert.deepEqual(objectAt(file, "/entry").children, [
    "cue_index",
    "cue_timestamp_zero",
    "event_id",
    "event_index",
    "event_time_offset",
    "event_time_zero",
  ]);
  const expected: Record<string, [string, unknown[], Record<string, unknown>]> = {
    event_time_offset: ["int32", [10, 20, 30, 5, 6, 7, 8, 9], { units: "ns" }],
    event_id: ["int32", [1, 2, 3, 4, 5, 6, 7], {}],
    event_time_zero: ["uint64", [1000, 2000, 3000, 5000], { start: "1970-01-01T00:00:00Z", units: "ns" }],
    event_index: ["int64", [0, 3, 5, 7], {}],
    cue_index: ["int64", [], {}],
    cue_timestamp_zero: ["int64", [], { start: "1970-01-01T00:00:00Z", units: "ns" }],
  };
  for (const [name, [dtype, value, attrs]] of Object.entries(expected)) {
    assert.equal(at(name).dtype, dtype, name);
    assert.deepEqual(at(name).value, value, name);
    assert.deepEqual(at(name).attrs, attrs, name);
    assert.deepEqual(at(name).chunks, [1_048_576], name);
    assert.deepEqual(at(name).maxshape, [null], name);
  }
  assert.equal(bytes, 8 * 4 + 7 * 4 + 4 * 8 + 4 * 8);
});

Deno.test("ev44 cues: after a message, when more than cue_interval events came since the last cue", async () => {
  const messages = [3, 2, 4, 1, 2].map((n, i) => ({
    reference_time: [100 * (i + 1)],
    reference_time_index: [0],
    time_of_flight: Array.from({ length: n }, (_, j) => j + 1),
    pixel_id: Array.from({ length: n }, () => i),
  }));
  const file = await written((group) => {
    const module = open(ev44Module, group, { cue_interval: 3, chunk_size: 4 });
    for (const m of messages) module.write(ev44Message(m));
    module.close();
  });
  // totals 3, 5, 9, 10, 12: cues after 5 (> 0 + 3), 9 (> 4 + 3) and 12 (> 8 + 3)
  assert.deepEqual(objectAt(file, "/entry/cue_index").value, [4, 8, 11]);
  assert.deepEqual(objectAt(file, "/entry/cue_timestamp_zero").value, [200 + 2, 300 + 4, 500 + 2]);
  assert.deepEqual(objectAt(file, "/entry/event_index").value, [0, 3, 5, 9, 10]);
  assert.deepEqual(objectAt(file, "/entry/event_time_offset").chunks, [4]);
});

Deno.test("ev44 writes the golden reference message, and refuses events without a pulse", async () => {
  const golden = decodeAny(await loadVector("ev44")).message;
  const file = await written((group) => {
    const module = open(ev44Module, group);
    module.write(golden);
    assert.throws(
      () => module.write(ev44Message({ reference_time: [], reference_time_index: [], time_of_flight: [1] })),
      ModuleWriteError,
    );
    module.close();
  });
  assert.deepEqual(objectAt(file, "/entry/event_time_zero").value, ["1700000000000000000", "1700000000071428571"]);
  assert.deepEqual(objectAt(file, "/entry/event_index").value, [0, 2]);
  assert.deepEqual(objectAt(file, "/entry/event_time_offset").value, [100, 200, 300]);
  assert.deepEqual(objectAt(file, "/entry/event_id").value, [1, 2, 3]);
});

Deno.test("ev42 writes one pulse per message, cues and the ADC pulse debug datasets (zeros when absent)", async () => {
  const golden = decodeAny(await loadVector("ev42")).message;
  const debug = decodeAny(ev42.encode({
    source_name: "det1",
    pulse_time: 1700000000100000000n,
    time_of_flight: [7, 8, 9],
    detector_id: [3, 4, 5],
    facility_specific_data_type: "AdcPulseDebug",
    facility_specific_data: {
      amplitude: [11, 12, 13],
      peak_area: [21, 22, 23],
      background: [31, 32, 33],
      threshold_time: [41, 42, 43],
      peak_time: [51, 52, 53],
    },
  })).message;
  const empty = decodeAny(ev42.encode({ source_name: "det1", pulse_time: 1700000000200000000n })).message;
  const file = await written((group) => {
    const module = open(ev42Module, group, { adc_pulse_debug: true, cue_interval: 2, chunk_size: 16 });
    for (const m of [golden, debug, empty]) module.write(m);
    module.close();
  });
  const value = (name: string) => objectAt(file, `/entry/${name}`).value;
  assert.deepEqual(value("event_time_offset"), [100, 200, 7, 8, 9]);
  assert.deepEqual(value("event_id"), [1, 2, 3, 4, 5]);
  assert.deepEqual(value("event_time_zero"), ["1700000000000000000", "1700000000100000000", "1700000000200000000"]);
  assert.deepEqual(value("event_index"), [0, 2, 5]);
  // totals 2 (not > 0 + 2), 5 (> 2): one cue at the last event of the second message
  assert.deepEqual(value("cue_index"), [4]);
  assert.deepEqual(value("cue_timestamp_zero"), ["1700000000100000009"]);
  assert.deepEqual(value("adc_pulse_amplitude"), [0, 0, 11, 12, 13]);
  assert.deepEqual(value("adc_pulse_peak_time"), [0, 0, 51, 52, 53]);
  assert.equal(objectAt(file, "/entry/adc_pulse_background").dtype, "uint32");
  assert.equal(objectAt(file, "/entry/adc_pulse_threshold_time").dtype, "uint64");
  assert.deepEqual(objectAt(file, "/entry/adc_pulse_threshold_time").attrs, {
    start: "1970-01-01T00:00:00Z",
    units: "ns",
  });
  assert.equal(objectAt(file, "/entry/event_time_offset").dtype, "int32");
  assert.deepEqual(objectAt(file, "/entry/event_time_offset").chunks, [16]);
});
