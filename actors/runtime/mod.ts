/**
 * nxflow's actor runtime: actors in their own Workers, typed messages, and OTP-style supervision trees.
 *
 * - {@linkcode defineActor}: write an actor module;
 * - {@linkcode ActorSystem}: start a tree from a {@linkcode SupervisorSpec}, find actors, inject faults, snapshot;
 * - {@linkcode ActorRef}: `send`, `request` and `onEmit`, typed by the actor's protocol in `protocols/`.
 *
 * @module
 */
export { type ActorContext, type ActorDefinition, defineActor, type Port } from "./actor.ts";
export {
  type ActorSpec,
  type BackoffOptions,
  type ChannelSpec,
  checkSupervisorSpec,
  type ChildSpec,
  type Delivery,
  type RestartType,
  type Strategy,
  type SupervisorSpec,
} from "./child_spec.ts";
export { ActorStartError, RemoteError, RequestTimeoutError, UndeliverableError } from "./errors.ts";
export { ActorSystem, EXIT_CODES, type SystemOptions } from "./system.ts";
export { transferablesOf } from "./transfer.ts";
export type { ActorRef } from "./actor_ref.ts";
