/**
 * Where the CPU of a benchmark step goes, from /proc (Linux): the whole machine (/proc/stat, busy = all but idle and
 * iowait, with softirq apart: loopback UDP and TCP are mostly softirq work), this process and each of its threads,
 * another process (the Kafka broker JVM) and its threads, and a child process once it has exited and been waited for
 * (its CPU moves into this process's cutime/cstime then). Figures are cores: CPU seconds over wall seconds.
 *
 * Deno names a Worker's thread `worker-<n>`, n counting the Workers created in the process from 1;
 * {@linkcode trackWorkerNames} wraps the global `Worker` so that such threads can be shown by the Worker's `name`
 * (an actor's path in the tree). Also the UDP counters of /proc/net/snmp (datagrams in, receive-buffer errors).
 *
 * @module
 */

const TICKS = 100;

/** utime + stime of a /proc stat file, and its command name. */
function statOf(path: string): { name: string; ticks: number } | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return null; // gone meanwhile
  }
  const close = text.lastIndexOf(")");
  const f = text.slice(close + 2).split(" ");
  return { name: text.slice(text.indexOf("(") + 1, close), ticks: Number(f[11]) + Number(f[12]) };
}

/** CPU ticks of a process (all its threads), or null when it is gone. */
export function processTicks(pid: number | "self"): number | null {
  return statOf(`/proc/${pid}/stat`)?.ticks ?? null;
}

/** CPU ticks of this process's children that have ended and been waited for (cutime + cstime). */
export function waitedChildrenTicks(): number {
  const text = Deno.readTextFileSync("/proc/self/stat");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return Number(f[13]) + Number(f[14]);
}

/** Ticks of each thread of a process, by thread id. */
export function threadTicks(pid: number | "self"): Map<string, { name: string; ticks: number }> {
  const threads = new Map<string, { name: string; ticks: number }>();
  try {
    for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
      const s = statOf(`/proc/${pid}/task/${e.name}/stat`);
      if (s) threads.set(e.name, s);
    }
  } catch {
    // the process is gone
  }
  return threads;
}

/** Ticks of every process on the machine, by pid, with its command name. */
export function allProcessTicks(): Map<string, { name: string; ticks: number }> {
  const all = new Map<string, { name: string; ticks: number }>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const s = statOf(`/proc/${e.name}/stat`);
    if (s) all.set(e.name, { name: `${s.name}(${e.name})`, ticks: s.ticks });
  }
  return all;
}

/** Busy and softirq ticks of the whole machine (all cores). */
export function machineTicks(): { busy: number; softirq: number } {
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = Deno.readTextFileSync("/proc/stat")
    .split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq + (steal ?? 0), softirq };
}

/** Machine-wide UDP counters: datagrams delivered to sockets and those dropped for a full receive buffer. */
export function udpCounters(): { inDatagrams: number; rcvbufErrors: number } {
  const lines = Deno.readTextFileSync("/proc/net/snmp").split("\n").filter((l) => l.startsWith("Udp: "));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/).map(Number);
  return { inDatagrams: values[names.indexOf("InDatagrams")], rcvbufErrors: values[names.indexOf("RcvbufErrors")] };
}

/** Wraps the global `Worker` so that `worker-<n>` threads can be named by the Worker's `name`. */
export function trackWorkerNames(): (thread: string) => string {
  const names: string[] = [];
  const Original = globalThis.Worker;
  globalThis.Worker = class extends Original {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      names.push(options?.name ?? "worker");
    }
  } as typeof Worker;
  return (thread) => {
    const m = /^worker-(\d+)$/.exec(thread);
    const name = m ? names[Number(m[1]) - 1] : undefined;
    return name ? `${name}#${m![1]}` : thread;
  };
}

/** What a snapshot holds. */
export interface Snapshot {
  at: number;
  machine: { busy: number; softirq: number };
  self: number;
  selfThreads: Map<string, { name: string; ticks: number }>;
  otherPid: number | null;
  other: number | null;
  otherThreads: Map<string, { name: string; ticks: number }>;
  children: number;
  processes: Map<string, { name: string; ticks: number }>;
  udp: { inDatagrams: number; rcvbufErrors: number };
}

/** Everything at once; `other` is a process id (the broker) or null. */
export function snapshot(other: number | null): Snapshot {
  return {
    at: performance.now(),
    machine: machineTicks(),
    self: processTicks("self")!,
    selfThreads: threadTicks("self"),
    otherPid: other,
    other: other === null ? null : processTicks(other),
    otherThreads: other === null ? new Map() : threadTicks(other),
    children: waitedChildrenTicks(),
    processes: allProcessTicks(),
    udp: udpCounters(),
  };
}

const round = (x: number) => Number(x.toFixed(2));

/** The threads that used most CPU between two snapshots, as `{name: cores}`, busiest first. */
function topThreads(
  a: Map<string, { name: string; ticks: number }>,
  b: Map<string, { name: string; ticks: number }>,
  seconds: number,
  top: number,
  label: (name: string) => string,
): Record<string, number> {
  const used: [string, number][] = [];
  for (const [tid, t] of b) used.push([label(t.name), (t.ticks - (a.get(tid)?.ticks ?? 0)) / TICKS / seconds]);
  used.sort((x, y) => y[1] - x[1]);
  return Object.fromEntries(used.slice(0, top).filter(([, c]) => c >= 0.01).map(([n, c]) => [n, round(c)]));
}

/**
 * Cores used between `a` and `b`. `childTicks` are the ticks a child used in the window (it has been waited for by
 * `b`); the machine's remainder (`rest`) is what none of the three processes was charged with, and `restTop` the
 * processes that used most of it (other work on the machine makes the step's figures unreliable).
 */
export function breakdown(
  a: Snapshot,
  b: Snapshot,
  childTicks: number,
  label: (thread: string) => string,
): Record<string, unknown> {
  const seconds = (b.at - a.at) / 1000;
  const cores = (ticks: number) => round(ticks / TICKS / seconds);
  const machine = b.machine.busy - a.machine.busy;
  const self = b.self - a.self;
  const other = b.other !== null && a.other !== null ? b.other - a.other : 0;
  return {
    seconds: round(seconds),
    machine: cores(machine),
    softirq: cores(b.machine.softirq - a.machine.softirq),
    efu: cores(self),
    broker: cores(other),
    generator: cores(childTicks),
    rest: cores(machine - self - other - childTicks),
    efuThreads: topThreads(a.selfThreads, b.selfThreads, seconds, 6, label),
    brokerThreads: topThreads(a.otherThreads, b.otherThreads, seconds, 3, (n) => n),
    restTop: topThreads(a.processes, restOf(b.processes, b.otherPid), seconds, 3, (n) => n),
  };
}

/** The processes other than this one and `other`. */
function restOf(processes: Snapshot["processes"], other: number | null): Snapshot["processes"] {
  const rest = new Map(processes);
  rest.delete(String(Deno.pid));
  if (other !== null) rest.delete(String(other));
  return rest;
}
