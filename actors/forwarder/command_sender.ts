/**
 * Sends fc00 commands for `nxflow forwarder-config`: one request per message, answered once Kafka acknowledged it
 * (through the producer actor on channel `records`). Speaks protocols/forwarder.ts. Restart: transient.
 *
 * @module
 */
import type { CommandSenderProtocol } from "../../protocols/forwarder.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { defineActor } from "../runtime/actor.ts";

export default defineActor<CommandSenderProtocol, undefined, ProducerOutbox>({
  init: (_config, ctx) => new ProducerOutbox(ctx.port("records")),
  requests: {
    async send(outbox, { topic, value }) {
      let failure: string | null = null;
      outbox.onFailed((_ids, error) => failure = error);
      outbox.send({ topic, value });
      await outbox.drained();
      if (failure) throw new Error(`Cannot send to ${topic}: ${failure}`);
      return null;
    },
  },
});
