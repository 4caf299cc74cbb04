/**
 * Every role `nxflow start` can run, registered in one place. A role is a subtree of the root supervisor: its
 * configuration section (`roles.<name>` in the configuration file), and the supervisor spec built from it.
 *
 * Add a role by writing `actors/<role>/role.ts` and adding one line to `ROLES`.
 *
 * @module
 */
import type { Log } from "./cli/log.ts";
import type { SupervisorSpec } from "./runtime/child_spec.ts";
import type { ActorSystem } from "./runtime/system.ts";
import { demo } from "./demo/role.ts";
import { efu } from "./efu/role.ts";

/** A role of the `start` command. */
export interface Role<C = unknown> {
  name: string;
  summary: string;
  /** whether it runs when the configuration names no roles. */
  byDefault: boolean;
  /** Checks the role's configuration section (without `enabled`) and applies defaults. */
  check(section: Record<string, unknown>, where: string): C;
  /** The role's supervision subtree. */
  tree(config: C): SupervisorSpec;
  /** Connects the role's notices to the log once the system runs. */
  attach?(system: ActorSystem, config: C, log: Log): void;
}

/** Every role, in start order. */
export const ROLES: readonly Role<never>[] = [demo as Role<never>, efu as Role<never>];
