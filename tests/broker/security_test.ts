/** SASL/SCRAM over TLS with a test CA: the right password works, a wrong one fails with a clear error. */
import assert from "node:assert/strict";
import { BrokerAdmin } from "../../actors/broker/admin.ts";
import type { BrokerStatus } from "../../protocols/broker.ts";
import { startKafka } from "../_harness/kafka.ts";
import { startPipeline } from "./pipeline.ts";
import { eventually } from "../_harness/wait.ts";

Deno.test("SASL/SCRAM over TLS: right password works, wrong one fails clearly", async (t) => {
  const kafka = await startKafka({ sasl: { tls: true }, heapMb: 512 });
  try {
    assert.ok(kafka.security?.tls && kafka.connection.tls, "TLS with the test CA");

    for (const mechanism of ["scram-sha-512", "scram-sha-256", "plain"] as const) {
      await t.step(`${mechanism} with the right password`, async () => {
        const admin = await BrokerAdmin.connect({
          ...kafka.connection,
          sasl: { ...kafka.connection.sasl!, mechanism },
        });
        try {
          await admin.createTopics([{ topic: `secure-${mechanism}` }]);
          assert.equal(await admin.topicExists(`secure-${mechanism}`), true);
        } finally {
          await admin.close();
        }
      });
    }

    await t.step("a wrong password fails with an authentication error that does not show the password", async () => {
      const wrong = "not-the-password-42";
      const options = { ...kafka.connection, sasl: { ...kafka.connection.sasl!, password: wrong } };
      const error = await BrokerAdmin.connect(options, 0).then(() => null, (e: Error) => e);
      assert.ok(error, "connecting must fail");
      assert.match(
        error.message,
        /Cannot connect to Kafka at .* as nxflow \(SASL scram-sha-512\): .*authentication failed/i,
      );
      assert.ok(!error.message.includes(wrong), "password not in the message");
    });

    await t.step("TLS without the test CA is refused (certificate not trusted)", async () => {
      const error = await BrokerAdmin.connect({ ...kafka.connection, tls: true }, 0).then(() => null, (e: Error) => e);
      assert.ok(error);
      assert.match(error.message, /certificate|self.signed|issuer/i);
    });

    await t.step("producer and consumer actors round-trip through SASL_SSL", async () => {
      const p = await startPipeline(kafka.connection, {
        produce: {},
        consume: { topics: [{ topic: "secure-scram-sha-512" }], start: "beginning" },
        expect: 100,
      });
      try {
        p.sender!.send({ type: "produceRun", topic: "secure-scram-sha-512", count: 100, recordBytes: 32 });
        const got = await eventually(
          "100 records",
          () => p.receiver!.request("summary", null),
          (s) => s.records >= 100,
        );
        assert.equal(got.distinct, 100);
      } finally {
        await p.system.stop();
      }
    });

    await t.step("the producer actor with a wrong password reports the cause and keeps retrying", async () => {
      const options = { ...kafka.connection, sasl: { ...kafka.connection.sasl!, password: "wrong-again" } };
      const p = await startPipeline(options, { produce: {} });
      const notices: BrokerStatus[] = [];
      p.producer!.onEmit((n) => notices.push(n));
      try {
        await eventually("two failed attempts", () => Promise.resolve(notices.length), (n) => n >= 2, 60_000);
        assert.match(notices[0].error!, /authentication failed/i);
        assert.ok(!notices.some((n) => n.error?.includes("wrong-again")), "password never in a notice");
        assert.equal(p.system.find("producer").restarts, 0);
      } finally {
        await p.system.stop();
      }
    });
  } finally {
    await kafka.stop();
  }
});
