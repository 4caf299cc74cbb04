/** The libca CA client against a real IOC: values, EPICS timestamps, alarms, arrays, strings, IOC restart, late PVs. */
import assert from "node:assert/strict";
import { type CaUpdate, openCaClient } from "../../actors/forwarder/ca_client.ts";
import { freePort, startIoc } from "../_harness/ioc.ts";
import { eventually } from "../_harness/wait.ts";

Deno.test("CA client monitors values, alarms and arrays, reconnects after an IOC restart and finds late PVs", async () => {
  let ioc = await startIoc();
  const latePort = freePort();
  const ca = openCaClient({ addrList: `127.0.0.1:${ioc.port} 127.0.0.1:${latePort}`, serverPort: ioc.port });
  let late: Awaited<ReturnType<typeof startIoc>> | null = null;
  const updates = new Map<string, CaUpdate[]>();
  const connections = new Map<string, boolean[]>();
  const watch = (pv: string) =>
    ca.monitor(pv, {
      onConnection: (up) => connections.set(pv, [...(connections.get(pv) ?? []), up]),
      onUpdate: (u) => updates.set(pv, [...(updates.get(pv) ?? []), u]),
    });
  const last = (pv: string) => updates.get(pv)?.at(-1);
  try {
    for (const r of ["DOUBLE", "DOUBLE3", "STR", "DOUBLEARRAY", "LONG"]) watch(`SIMPLE:${r}`);
    watch("LATE:DOUBLE");
    await eventually("first updates", () => updates.size, (n) => n === 5, 20_000);
    assert.equal(last("SIMPLE:STR")!.value, "hello");
    const before = BigInt(Date.now()) * 1_000_000n;
    await ioc.set("DOUBLE", 3.5);
    const u = await eventually("3.5", () => last("SIMPLE:DOUBLE"), (u) => u?.value === 3.5, 10_000);
    assert.equal(u!.type, "double");
    assert.ok(u!.timestampNs >= before - 1_000_000_000n && u!.timestampNs <= before + 10_000_000_000n);
    await ioc.set("DOUBLE3", 16);
    const a = await eventually("alarm", () => last("SIMPLE:DOUBLE3"), (u) => u?.value === 16, 10_000);
    assert.deepEqual([a!.severity, a!.status], [1, 4]); // MINOR, HIGH
    await ioc.set("DOUBLEARRAY", [1, 2, 3]);
    const arr = await eventually(
      "array",
      () => last("SIMPLE:DOUBLEARRAY"),
      (u) => u?.value instanceof Float64Array && u.value[2] === 3,
      10_000,
    );
    assert.equal(arr!.array, true);
    assert.deepEqual([...(arr!.value as Float64Array)], [1, 2, 3]);
    assert.equal(last("SIMPLE:LONG")!.type, "long");

    await ioc.stop();
    await eventually("disconnected", () => connections.get("SIMPLE:DOUBLE")?.at(-1), (c) => c === false, 30_000);
    ioc = await startIoc({ port: ioc.port });
    await eventually("reconnected", () => connections.get("SIMPLE:DOUBLE")?.at(-1), (c) => c === true, 60_000);
    await ioc.set("DOUBLE", 7);
    await eventually("7 after restart", () => last("SIMPLE:DOUBLE")?.value, (v) => v === 7, 10_000);

    late = await startIoc({ prefix: "LATE:", minimal: true, port: latePort });
    await ioc.set("DOUBLE", 8);
    await late.set("DOUBLE", 1.25);
    await eventually("late PV", () => last("LATE:DOUBLE")?.value, (v) => v === 1.25, 60_000);
  } finally {
    ca.close();
    await ioc.stop();
    await late?.stop();
  }
});
