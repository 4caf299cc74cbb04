/**
 * Sets the kernel receive buffer (SO_RCVBUF) of a `Deno.listenDatagram` socket, which Deno cannot do itself: finds
 * the socket's file descriptor through /proc (its inode in /proc/net/udp by local port, then the fd linking to it)
 * and calls libc's `setsockopt` through FFI. Linux only; the kernel caps the size at `net.core.rmem_max` (and
 * doubles it for bookkeeping). Without a larger buffer, datagrams are lost whenever the receiving thread is
 * descheduled for a few milliseconds (the default 208 KiB hold only ~23 full packets).
 *
 * @module
 */

const SOL_SOCKET = 1;
const SO_RCVBUF = 8;

/** The fd of the UDP socket bound to `port` in this process, or -1. */
function socketFd(port: number): number {
  const hexPort = ":" + port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const file of ["/proc/net/udp", "/proc/net/udp6"]) {
    for (const line of Deno.readTextFileSync(file).split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1].endsWith(hexPort)) inodes.add(f[9]);
    }
  }
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/self/fd/${entry.name}`));
      if (m && inodes.has(m[1])) return Number(entry.name);
    } catch {
      // the fd closed meanwhile
    }
  }
  return -1;
}

/**
 * Asks for a receive buffer of `bytes` on the UDP socket bound to `port`; returns the size the kernel granted, or 0
 * when it could not be set (not Linux, no FFI permission, socket not found).
 */
export function setReceiveBuffer(port: number, bytes: number): number {
  let libc: Deno.DynamicLibrary<{
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"]; result: "i32" };
    getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"]; result: "i32" };
  }>;
  let fd: number;
  try {
    fd = socketFd(port);
    if (fd < 0) return 0;
    libc = Deno.dlopen("libc.so.6", {
      setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
      getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
    });
  } catch {
    return 0;
  }
  try {
    const value = new Int32Array([bytes]);
    if (libc.symbols.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, new Uint8Array(value.buffer), 4) !== 0) return 0;
    const length = new Uint32Array([4]);
    const got = libc.symbols.getsockopt(
      fd,
      SOL_SOCKET,
      SO_RCVBUF,
      new Uint8Array(value.buffer),
      new Uint8Array(length.buffer),
    );
    return got === 0 ? value[0] : 0;
  } finally {
    libc.close();
  }
}
