/**
 * The command actor of the histogrammer: reads just-bin-it's JSON commands from the config topic (its consumer's
 * `batches` channel), answers each one that has a `msg_id` on the response topic (ACK, or ERR with
 * the reason), and tells the manager what to run (`run`, `reset`, `stop` notices), and sends an x5f2 heartbeat every
 * `heartbeatMs` (service id "just-bin-it" by default, status JSON "{}", as just-bin-it does).
 * A bad command is answered, counted and logged; it never crashes the actor. Speaks ControlProtocol. Restart:
 * permanent.
 *
 * @module
 */
import type { BinnerConfig, ControlConfig, ControlProtocol, ControlStats } from "../../protocols/histogrammer.ts";
import { x5f2 } from "../../schemas/x5f2/codec.ts";
import { ConsumerInbox } from "../broker/inbox.ts";
import { ProducerOutbox } from "../broker/outbox.ts";
import { type ActorContext, defineActor } from "../runtime/actor.ts";
import { CommandError, type ConfigCommand, msgIdOf, parseCommand } from "./commands.ts";

type Ctx = ActorContext<ControlProtocol>;

interface State {
  config: ControlConfig;
  outbox: ProducerOutbox;
  timer: ReturnType<typeof setInterval> | undefined;
  stats: ControlStats;
}

const decoder = new TextDecoder();

export default defineActor<ControlProtocol, ControlConfig, State>({
  init(config, ctx) {
    const state: State = {
      config,
      outbox: new ProducerOutbox(ctx.port("records")),
      timer: undefined,
      stats: { commands: 0, acked: 0, rejected: 0, heartbeats: 0 },
    };
    new ConsumerInbox(ctx.port("batches"), {
      onBatch(batch) {
        for (const r of batch.records) onCommand(state, ctx, decoder.decode(r.value));
      },
    });
    if (config.heartbeatTopic) {
      beat(state);
      state.timer = setInterval(() => beat(state), config.heartbeatMs);
    }
    return state;
  },
  requests: {
    stats: (state) => ({ ...state.stats }),
  },
  async terminate(state) {
    clearInterval(state.timer);
    await Promise.race([state.outbox.drained(), new Promise((r) => setTimeout(r, 2000))]);
  },
});

function onCommand(state: State, ctx: Ctx, text: string): void {
  state.stats.commands++;
  const now = Date.now();
  try {
    const command = parseCommand(text, now);
    if (command.cmd === "config") {
      ctx.emit({ type: "run", plan: { binners: plan(state, command, now) } });
    } else if (command.cmd === "reset_counts") ctx.emit({ type: "reset" });
    else ctx.emit({ type: "stop" });
    state.stats.acked++;
    ctx.emit({ type: "log", level: "info", message: `${command.cmd} command${label(command.msgId)} accepted` });
    respond(state, command.msgId, { response: "ACK" });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    state.stats.rejected++;
    const msgId = msgIdOf(text);
    ctx.emit({ type: "log", level: "warn", message: `command${label(msgId)} refused: ${error.message}` });
    respond(state, msgId, { response: "ERR", message: error.message });
  }
}

const label = (msgId: string | null) => msgId === null ? "" : ` ${JSON.stringify(msgId)}`;

/** One binner per distinct input (brokers and topics): several histograms of one input decode each message once. */
function plan(state: State, c: ConfigCommand, now: number): BinnerConfig[] {
  const groups = new Map<string, BinnerConfig>();
  for (const spec of c.histograms) {
    const brokers = [...spec.dataBrokers].sort(), topics = [...spec.dataTopics].sort();
    const k = JSON.stringify([brokers, topics]);
    let group = groups.get(k);
    if (!group) {
      group = {
        connection: { ...state.config.connection, brokers },
        input: c.input,
        output: c.output,
        histograms: [],
        startMs: c.start ?? now,
        stopMs: c.stop,
        showStart: c.start !== null,
        showStop: c.stop !== null,
        publishMs: state.config.publishMs,
      };
      groups.set(k, group);
    }
    group.histograms.push(spec);
  }
  return [...groups.values()];
}

function respond(state: State, msgId: string | null, body: Record<string, string>): void {
  if (msgId === null || !state.config.responseTopic) return;
  const value = new TextEncoder().encode(JSON.stringify({ msg_id: msgId, ...body }));
  state.outbox.send({ topic: state.config.responseTopic, value });
}

function beat(state: State): void {
  const c = state.config;
  const value = x5f2.encode({
    software_name: "nxflow-histogrammer",
    software_version: c.version,
    service_id: c.serviceId,
    host_name: Deno.hostname(),
    process_id: Deno.pid,
    update_interval: c.heartbeatMs,
    status_json: "{}",
  });
  state.outbox.send({ topic: c.heartbeatTopic!, value });
  state.stats.heartbeats++;
}
