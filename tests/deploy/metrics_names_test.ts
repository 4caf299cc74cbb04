/** The naming rules of GET /metrics (pure logic): stats fields to Prometheus names, kinds and units; path labels. */
import assert from "node:assert/strict";
import { ExitCounter, moduleFamily, pathLabels, snake, statMetric } from "../../actors/admin/metrics.ts";

Deno.test("stats fields become snake-case counters with _total, levels become gauges, ms become seconds", () => {
  assert.equal(snake("bytesAcked"), "bytes_acked");
  assert.equal(snake("receive.packets"), "receive_packets");
  assert.equal(snake("produce.in_flight_bytes"), "produce_in_flight_bytes");
  assert.deepEqual(statMetric("acked"), { name: "acked_total", kind: "counter", scale: 1 });
  assert.deepEqual(statMetric("bytesAcked"), { name: "bytes_acked_total", kind: "counter", scale: 1 });
  assert.deepEqual(statMetric("queuedBytes"), { name: "queued_bytes", kind: "gauge", scale: 1 });
  assert.deepEqual(statMetric("produce.in_flight_bytes"), { name: "produce_in_flight_bytes", kind: "gauge", scale: 1 });
  assert.deepEqual(statMetric("sendLatencyMs"), { name: "send_latency_seconds", kind: "gauge", scale: 1e-3 });
  assert.deepEqual(statMetric("lag"), { name: "lag", kind: "gauge", scale: 1 });
  assert.equal(moduleFamily("file:///opt/nxflow/actors/broker/producer.ts"), "broker_producer");
  assert.equal(moduleFamily("actors/efu/socket_reader.ts"), "efu_socket_reader");
});

Deno.test("role and actor labels come from the tree path; exits are counted by path and kind", () => {
  assert.deepEqual(pathLabels("root/efu/producer"), { role: "efu", actor: "producer" });
  assert.deepEqual(pathLabels("root/writer/jobs/j1/consumer"), { role: "writer", actor: "jobs/j1/consumer" });
  assert.deepEqual(pathLabels("root/demo"), { role: "demo", actor: "demo" });
  const exits = new ExitCounter();
  const time = new Date().toISOString();
  exits.record({ type: "exited", path: "root/demo/counter", kind: "crash", time });
  exits.record({ type: "exited", path: "root/demo/counter", kind: "crash", time });
  exits.record({ type: "exited", path: "root/demo/counter", kind: "hang", time });
  exits.record({ type: "restarted", path: "root/demo/counter", time });
  assert.deepEqual(exits.entries(), [["root/demo/counter", "crash", 2], ["root/demo/counter", "hang", 1]]);
});
