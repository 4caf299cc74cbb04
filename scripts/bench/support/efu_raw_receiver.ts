/// <reference lib="deno.worker" />
/**
 * The UDP anchor of `efu_pipeline.ts`: a Worker that only receives datagrams with `Deno.listenDatagram` into one
 * buffer and counts them, as the reference's loopback receive measurement did. Posts `{port}` when listening and
 * answers any message with `{packets}`.
 *
 * @module
 */
const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
let packets = 0;
self.onmessage = () => self.postMessage({ packets });
self.postMessage({ port: (conn.addr as Deno.NetAddr).port });
const buffer = new Uint8Array(9000);
for (;;) {
  await conn.receive(buffer);
  packets++;
}
