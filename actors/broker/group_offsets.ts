/**
 * Commits offsets for a consumer group that has no members, the way Kafka's own admin API does (OffsetCommit with no
 * generation), through `npm:@platformatic/kafka`. kafkajs can only commit as a group member: its `admin.setOffsets`
 * joins the group with a temporary consumer, which did not complete against Kafka 4.1 in our runs.
 *
 * The library is loaded on the first commit, so that consumers that never commit do not pay for it.
 *
 * @module
 */
import type { ConnectionOptions } from "../../protocols/broker.ts";

type PlatformaticAdmin = InstanceType<typeof import("@platformatic/kafka").Admin>;

const MECHANISMS = { "plain": "PLAIN", "scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512" } as const;

/** Commits offsets of member-less groups on one cluster; close it with {@linkcode GroupOffsets.close}. */
export class GroupOffsets {
  #admin: Promise<PlatformaticAdmin> | null = null;

  constructor(readonly options: ConnectionOptions) {}

  /** Sets the group's committed offsets (the next offset to read) for the given partitions. */
  async commit(groupId: string, positions: { topic: string; partition: number; offset: number }[]): Promise<void> {
    const topics = [...new Set(positions.map((p) => p.topic))].map((name) => ({
      name,
      partitionOffsets: positions.filter((p) => p.topic === name)
        .map((p) => ({ partition: p.partition, offset: BigInt(p.offset) })),
    }));
    await (await this.#connect()).alterConsumerGroupOffsets({ groupId, topics });
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = null;
    if (admin) await (await admin).close().catch(() => {});
  }

  #connect(): Promise<PlatformaticAdmin> {
    this.#admin ??= (async () => {
      const { Admin } = await import("@platformatic/kafka");
      const o = this.options;
      return new Admin({
        clientId: o.clientId ?? "nxflow",
        bootstrapBrokers: o.brokers,
        connectTimeout: o.connectionTimeoutMs ?? 3000,
        requestTimeout: o.requestTimeoutMs ?? 30_000,
        retries: 2,
        sasl: o.sasl
          ? { mechanism: MECHANISMS[o.sasl.mechanism], username: o.sasl.username, password: o.sasl.password }
          : undefined,
        tls: o.tls === true ? {} : o.tls ? { ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key } : undefined,
      });
    })();
    return this.#admin;
  }
}
