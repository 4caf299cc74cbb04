/**
 * CPU seconds used so far by this process, from /proc (Linux).
 *
 * @module
 */

const TICKS = 100;

/** This process's CPU seconds (utime + stime). */
export async function cpuSeconds(): Promise<number> {
  const stat = await Deno.readTextFile("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}
