/// <reference lib="deno.worker" />
/**
 * The UDP anchor of `efu_pipeline.ts`: a Worker that only receives datagrams with `Deno.listenDatagram` into one
 * buffer and counts them. The first message sets the receive buffer (`{rxBuffer}`); it then posts `{port}` and
 * answers any later message with `{packets}`.
 *
 * @module
 */
import { setReceiveBuffer } from "../../../actors/efu/socket_buffer.ts";

const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
const port = (conn.addr as Deno.NetAddr).port;
let packets = 0;
self.onmessage = (e: MessageEvent<{ rxBuffer?: number }>) => {
  if (e.data?.rxBuffer) {
    const granted = setReceiveBuffer(port, e.data.rxBuffer);
    self.postMessage({ port, granted });
  } else {
    self.postMessage({ packets });
  }
};
const buffer = new Uint8Array(9000);
for (;;) {
  await conn.receive(buffer);
  packets++;
}
