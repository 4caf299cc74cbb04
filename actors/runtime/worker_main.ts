/**
 * The child side of every actor: the one module each Worker runs. It installs its message handler synchronously
 * (so nothing posted before the actor is ready is lost), imports the actor module named in the `init` envelope
 * (or earlier, on `preload`, when it is a warm spare), and then feeds it envelopes one at a time.
 *
 * It reports every way the worker can end: an uncaught error or unhandled rejection becomes a `crash` envelope
 * with the stack (the parent's error event carries none), and `self.close()`, `Deno.exit()` and `ctx.exit()` post an
 * `exit` envelope first. Heartbeats let the host find the rest: a worker closed with no notice, or hung.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { ActorProtocol, ErrorInfo, FaultKind, HostToWorker, WorkerToHost } from "../../protocols/runtime.ts";
import type { ActorContext, ActorDefinition } from "./actor.ts";
import { PortEndpoint } from "./channel.ts";
import { transferablesOf } from "./transfer.ts";

type Envelope = Extract<HostToWorker, { t: "msg" | "req" | "shutdown" }>;
type AnyActor = ActorDefinition<ActorProtocol, unknown, unknown>;

const ACK_DELAY_MS = 5;
const ACK_EVERY = 256;

const realClose = self.close.bind(self);
const realExit = Deno.exit;
let dead = false;
let handling: number | null = null;
const inbox: Envelope[] = [];
let inboxHead = 0;
let pumping = false;
let actor: AnyActor | null = null;
let state: unknown;
let ctx: ActorContext<ActorProtocol> | null = null;
let redelivered = false;
let preloaded: Promise<{ default?: AnyActor }> | null = null;
const ports = new Map<string, PortEndpoint<unknown>>();
let heartbeat: ReturnType<typeof setInterval> | undefined;
let lastHandled = -1;
let lastAcked = -1;
let ackTimer: ReturnType<typeof setTimeout> | undefined;

function post(message: WorkerToHost): void {
  if (!dead) self.postMessage(message, transferablesOf(message));
}

function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: "Error", message: String(error) };
}

function end(notice: WorkerToHost): void {
  if (dead) return;
  flushAck();
  post(notice);
  dead = true;
  clearInterval(heartbeat);
  clearTimeout(ackTimer);
  realClose();
}

function crash(error: unknown): void {
  end({ t: "crash", error: errorInfo(error), handling });
}

self.addEventListener("error", (e) => {
  e.preventDefault();
  crash(e.error ?? new Error(e.message));
});
self.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  crash(e.reason);
});
self.close = () => end({ t: "exit", reason: "normal", detail: "self.close()" });
Deno.exit = ((code?: number) => {
  if (code) crash(new Error(`Deno.exit(${code}) called in the actor`));
  else end({ t: "exit", reason: "normal", detail: "Deno.exit(0)" });
  return realExit(code);
}) as typeof Deno.exit;

self.onmessage = (e: MessageEvent<HostToWorker>) => {
  const m = e.data;
  switch (m.t) {
    case "preload":
      preloaded = import(m.module);
      preloaded.catch(() => {}); // reported by start(), which awaits it again
      return;
    case "init":
      return void start(m).catch(crash);
    case "msg":
    case "req":
    case "shutdown":
      inbox.push(m);
      if (actor && !pumping) void pump();
      return;
    case "port":
      return portFor(m.name).attach(m.port);
    case "fault":
      return injectFault(m.fault);
  }
};

function injectFault(fault: FaultKind): void {
  if (fault === "crash") throw new Error("crash injected by fault injection");
  if (fault === "exit") {
    dead = true;
    clearInterval(heartbeat);
    realClose();
    return;
  }
  for (;;) {
    // hang injected by fault injection: spin forever, as a runaway loop would
  }
}

function portFor(name: string): PortEndpoint<unknown> {
  let port = ports.get(name);
  if (!port) {
    port = new PortEndpoint(name, crash);
    ports.set(name, port);
  }
  return port;
}

function threadId(): string | null {
  try {
    return Deno.readLinkSync("/proc/thread-self");
  } catch {
    return null;
  }
}

async function start(init: Extract<HostToWorker, { t: "init" }>): Promise<void> {
  heartbeat = setInterval(() => post({ t: "hb" }), init.heartbeatMs);
  for (const [name, port] of Object.entries(init.ports)) portFor(name).attach(port);
  ctx = {
    id: init.id,
    path: init.path,
    get redelivered() {
      return redelivered;
    },
    emit: (body) => post({ t: "emit", body }),
    port: (name) => portFor(name) as PortEndpoint<never> & PortEndpoint<unknown>,
    exit: (detail = "ctx.exit()") => end({ t: "exit", reason: "normal", detail }),
  };
  const mod = await (preloaded ?? import(init.module));
  const def = mod.default as AnyActor | undefined;
  if (!def || typeof def.init !== "function") {
    throw new TypeError(`Actor module ${init.module} has no default export made with defineActor`);
  }
  state = await def.init(init.config, ctx);
  actor = def;
  post({ t: "ready", thread: threadId() });
  void pump();
}

async function pump(): Promise<void> {
  pumping = true;
  try {
    while (inboxHead < inbox.length && !dead) {
      const env = inbox[inboxHead];
      inbox[inboxHead++] = undefined as unknown as Envelope;
      if (inboxHead > 1024 && inboxHead * 2 > inbox.length) {
        inbox.splice(0, inboxHead);
        inboxHead = 0;
      }
      const pending = dispatch(env);
      if (pending) await pending;
      handling = null;
      if (env.t !== "shutdown") acknowledge(env.seq);
    }
  } catch (error) {
    crash(error);
  } finally {
    pumping = false;
    handling = null;
  }
}

function dispatch(env: Envelope): Promise<void> | void {
  const a = actor!;
  if (env.t === "shutdown") return shutdown(a);
  handling = env.seq;
  redelivered = env.redelivered;
  if (env.t === "msg") {
    if (!a.handle) return console.warn(`${ctx!.path}: no handle() for message ${JSON.stringify(env.body)}`);
    return a.handle(state, env.body as { type: string }, ctx!);
  }
  return answer(a, env);
}

async function answer(a: AnyActor, env: Extract<Envelope, { t: "req" }>): Promise<void> {
  const handler = a.requests?.[env.kind];
  try {
    if (!handler) throw new TypeError(`${ctx!.path} answers no request "${env.kind}"`);
    const value = await handler(state, env.body, ctx!);
    post({ t: "res", id: env.id, ok: true, value });
  } catch (error) {
    post({ t: "res", id: env.id, ok: false, error: errorInfo(error) });
  }
}

async function shutdown(a: AnyActor): Promise<void> {
  if (a.terminate) await a.terminate(state, ctx!);
  end({ t: "exit", reason: "shutdown", detail: "stopped by its supervisor" });
}

function acknowledge(seq: number): void {
  lastHandled = seq;
  if (lastHandled - lastAcked >= ACK_EVERY) return flushAck();
  ackTimer ??= setTimeout(flushAck, ACK_DELAY_MS);
}

function flushAck(): void {
  clearTimeout(ackTimer);
  ackTimer = undefined;
  if (lastHandled > lastAcked) {
    lastAcked = lastHandled;
    post({ t: "ack", seq: lastHandled });
  }
}
