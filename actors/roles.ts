/**
 * Every role `nxflow start` can run, registered in one place. A role is a subtree of the root supervisor: its
 * configuration section (`roles.<name>` in the configuration file), and the supervisor spec built from it.
 *
 * Add a role by writing `actors/<role>/role.ts` and adding one line to `ROLES`.
 *
 * @module
 */
import type { ConnectionOptions } from "../protocols/broker.ts";
import type { AdminContext, AdminRoutes } from "./admin/server.ts";
import type { Log } from "./common/log.ts";
import type { SupervisorSpec } from "./runtime/child_spec.ts";
import type { ActorSystem } from "./runtime/system.ts";
import { efu } from "./efu/role.ts";
import { forwarder } from "./forwarder/role.ts";
import { sim } from "./sim/role.ts";
import { histogrammer } from "./histogrammer/role.ts";
import { live } from "./live/role.ts";
import { writer } from "./writer/role.ts";

/** A role of the `start` command. */
export interface Role<C = unknown> {
  name: string;
  summary: string;
  /** whether it runs when the configuration names no roles. */
  byDefault: boolean;
  /** whether the role talks to Kafka: `start` then connects (or starts the embedded local Kafka) first. */
  kafka?: boolean;
  /** Checks the role's configuration section (without `enabled`) and applies defaults. */
  check(section: Record<string, unknown>, where: string): C;
  /** Prepares what the tree needs outside nxflow (topics, folders); a rejection stops the start with its message. */
  prepare?(config: C, kafka: ConnectionOptions | null, log: Log): Promise<void>;
  /** The role's supervision subtree; `kafka` is set for roles that declare `kafka: true`. */
  tree(config: C, kafka: ConnectionOptions | null): SupervisorSpec;
  /** Connects the role's notices to the log once the system runs (and whatever runs beside its actors). */
  attach?(system: ActorSystem, config: C, log: Log, kafka: ConnectionOptions | null): void;
  /** Routes the role serves on the admin endpoint (web pages), once the system runs. */
  routes?(system: ActorSystem, config: C, log: Log, admin: AdminContext): AdminRoutes;
}

/** Every role, in start order. */
export const ROLES: readonly Role<never>[] = [
  efu as Role<never>,
  sim as Role<never>,
  forwarder as Role<never>,
  writer as Role<never>,
  histogrammer as Role<never>,
  live as Role<never>,
];
