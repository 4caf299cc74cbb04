import assert from "node:assert/strict";
import { decodeAny, ev44, parseJsonForm, SCHEMAS, toJsonAny } from "../../schemas/mod.ts";
import { loadVector, vectorIndex } from "../_harness/vectors.ts";

/**
 * The values of each golden vector's Python call (`index.json`), in the JSON form: defaults left out, fc00 streams in
 * the reversed order the Python serialiser writes them, da00/ad00 data as raw little-endian bytes.
 */
const EXPECTED: Record<string, string> = {
  ev44: `{"source_name":"det1","message_id":7,"reference_time":[1700000000000000000,1700000000071428571],
    "reference_time_index":[0,2],"time_of_flight":[100,200,300],"pixel_id":[1,2,3]}`,
  ev42:
    `{"source_name":"det1","message_id":7,"pulse_time":1700000000000000000,"time_of_flight":[100,200],"detector_id":[1,2]}`,
  f144_double: `{"source_name":"PV:X","timestamp":1700000000123456789,"value_type":"Double","value":{"value":3.5}}`,
  f144_int_array:
    `{"source_name":"PV:A","timestamp":1700000000000000000,"value_type":"ArrayInt","value":{"value":[1,2,3]}}`,
  f142_double: `{"source_name":"PV:X","value_type":"Double","value":{"value":3.5},"timestamp":1700000000123456789}`,
  pl72: `{"start_time":1700000000000,"stop_time":1700000100000,"run_name":"run","instrument_name":"",
    "nexus_structure":"{\\"children\\":[]}","job_id":"job-1","broker":"","service_id":"fw1","filename":"f.nxs",
    "metadata":"{}","control_topic":"ctl"}`,
  "6s4t": `{"stop_time":1700000100000,"run_name":"run","job_id":"job-1","service_id":"fw1","command_id":"cmd-1"}`,
  x5f2: `{"software_name":"kafka-to-nexus","software_version":"1.0.0","service_id":"fw1","host_name":"host",
    "process_id":1234,"update_interval":2000,"status_json":"{\\"job_id\\":\\"\\"}"}`,
  answ: `{"service_id":"fw1","job_id":"job-1","status_code":201,"stop_time":1700000100000,"message":"ok",
    "command_id":"cmd-1"}`,
  wrdn: `{"service_id":"fw1","job_id":"job-1","file_name":"f.nxs","metadata":"{}","message":"done"}`,
  ep01: `{"timestamp":1700000000000000000,"status":"CONNECTED","source_name":"PV:X","service_id":"fwd1"}`,
  ep00: `{"timestamp":1700000000000000000,"type":"CONNECTED","source_name":"PV:X","service_id":"fwd1"}`,
  al00: `{"source_name":"PV:X","timestamp":1700000000000000000,"severity":"MAJOR","message":"HIHI"}`,
  hs01: `{"source":"h","timestamp":1700000000000000000,"dim_metadata":[{"length":2,"unit":"ns","label":"tof",
    "bin_boundaries_type":"ArrayDouble","bin_boundaries":{"value":[0,1,2]}}],"current_shape":[2],
    "data_type":"ArrayLong","data":{"value":[5,6]},"info":"i"}`,
  hs00: `{"source":"h","timestamp":1700000000000000000,"dim_metadata":[{"length":2,"unit":"ns","label":"tof",
    "bin_boundaries_type":"ArrayDouble","bin_boundaries":{"value":[0,1,2]}}],"current_shape":[2],
    "data_type":"ArrayULong","data":{"value":[5,6]},"info":"i"}`,
  da00: `{"source_name":"src","timestamp":1700000000000000000,"data":[
    {"name":"signal","unit":"counts","data_type":"int32","axes":["x"],"shape":[3],"data":[1,0,0,0,2,0,0,0,3,0,0,0]},
    {"name":"x","unit":"mm","data_type":"float64","axes":["x"],"shape":[3],
     "data":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,240,63,0,0,0,0,0,0,0,64]}]}`,
  ad00: `{"source_name":"cam","id":42,"timestamp":1700000000000000000,"dimensions":[2,2],"data_type":"uint16",
    "data":[1,0,2,0,3,0,4,0],"attributes":[{"name":"exp","description":"exposure","source":"PV:EXP",
    "data_type":"float64","data":[0,0,0,0,0,0,224,63]}]}`,
  tdct: `{"name":"chopper1","timestamps":[1700000000000000000,1700000000071428571],"sequence_counter":5}`,
  se00: `{"name":"adc","channel":1,"packet_timestamp":1700000000000000000,"time_delta":1000,
    "timestamp_location":"Start","values_type":"Int16Array","values":{"value":[1,2,3]},"message_counter":9}`,
  fc00: `{"streams":[{"channel":"PV:2","schema":"tdct","topic":"t2","protocol":"CA"},
    {"channel":"PV:1","schema":"f144","topic":"t1","periodic":1}]}`,
  json: `{"json":"{\\"a\\":1}"}`,
};

Deno.test("golden vectors: every vector of shared/vectors has an expectation and a registered schema", async () => {
  const index = await vectorIndex();
  assert.deepEqual(Object.keys(index).sort(), Object.keys(EXPECTED).sort());
  for (const entry of Object.values(index)) assert.ok(SCHEMAS.has(entry.id), `schema ${entry.id} is registered`);
});

Deno.test("golden vectors decode to the values of their Python call", async () => {
  for (const [name, entry] of Object.entries(await vectorIndex())) {
    const bytes = await loadVector(name);
    assert.equal(bytes.length, entry.len, name);
    assert.equal(decodeAny(bytes).id, entry.id, name);
    const codec = SCHEMAS.get(entry.id)!;
    assert.deepEqual(codec.decode(bytes), codec.decode(codec.encodeJson(EXPECTED[name])), name);
  }
});

Deno.test("golden vectors re-encode to messages that decode to the same values", async () => {
  for (const name of Object.keys(await vectorIndex())) {
    const { id, message } = decodeAny(await loadVector(name));
    const codec = SCHEMAS.get(id)!;
    const again = codec.encode(message);
    assert.deepEqual(parseJsonForm(toJsonAny(codec.encodeJson(EXPECTED[name]))), parseJsonForm(EXPECTED[name]), name);
    assert.deepEqual(codec.decode(again), message, name);
  }
});

Deno.test("golden ev44 decodes its event vectors as views of the message bytes", async () => {
  const bytes = await loadVector("ev44");
  const msg = ev44.decode(bytes);
  assert.ok(msg.time_of_flight instanceof Int32Array);
  assert.equal(msg.time_of_flight.buffer, bytes.buffer);
  assert.equal(msg.pixel_id!.buffer, bytes.buffer);
  assert.equal(msg.reference_time.buffer, bytes.buffer);
  assert.deepEqual(Array.from(msg.reference_time), [1700000000000000000n, 1700000000071428571n]);
});

Deno.test("golden ev44 at a misaligned address decodes to copies with the same values", async () => {
  const golden = await loadVector("ev44");
  const backing = new Uint8Array(golden.length + 1);
  backing.set(golden, 1);
  const bytes = backing.subarray(1);
  const msg = ev44.decode(bytes);
  assert.notEqual(msg.time_of_flight!.buffer, bytes.buffer);
  assert.notEqual(msg.reference_time.buffer, bytes.buffer);
  assert.deepEqual(Array.from(msg.time_of_flight!), [100, 200, 300]);
  assert.deepEqual(Array.from(msg.reference_time), [1700000000000000000n, 1700000000071428571n]);
});
