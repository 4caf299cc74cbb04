/**
 * CPU seconds used so far by this process and its forwarder CA child processes (`ca_process.ts`), from /proc (Linux).
 *
 * @module
 */

const TICKS = 100;

/** utime + stime and the parent pid of a process. */
async function statOf(pid: string): Promise<{ ticks: number; parent: number }> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ticks: Number(fields[11]) + Number(fields[12]), parent: Number(fields[1]) };
}

/** This process's CPU seconds plus those of its live `ca_process.ts` children. */
export async function cpuSeconds(): Promise<number> {
  let ticks = (await statOf("self")).ticks;
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (!cmdline.includes("ca_process.ts")) continue;
    const child = await statOf(entry.name).catch(() => null);
    if (child?.parent === Deno.pid) ticks += child.ticks;
  }
  return ticks / TICKS;
}
