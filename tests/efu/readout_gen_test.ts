/** `nxflow readout-gen` and `nxflow efu --help` take the packet arithmetic and the family list from the families. */
import assert from "node:assert/strict";
import { FAMILIES } from "../../actors/efu/families/registry.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;

async function nxflow(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", MOD, ...args], stdout: "piped" }).output();
  assert.ok(out.success, `nxflow ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("readout-gen --events-rate counts the readouts of a packet from the family and the header version", async (t) => {
  const sink = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = String((sink.addr as Deno.NetAddr).port);
  const drain = (async () => {
    try {
      for await (const _ of sink);
    } catch { /* closed */ }
  })();
  try {
    // 78 bytes: a v0 header (30) and two 24-byte CAEN readouts, or a v1 header (32) and one; 14 pulses/s.
    for (const [version, perPacket] of [["0", 2], ["1", 1]] as const) {
      await t.step(`header v${version}: ${perPacket} readout(s) a packet`, async () => {
        const args = ["readout-gen", "--family", "caen", "--port", port, "--header-version", version];
        args.push("--packet-bytes", "78", "--packets", "20", "--pulse-hz", "14", "--events-rate", "280");
        const summary = JSON.parse((await nxflow(args)).trim());
        assert.equal(summary.readouts, 20 * perPacket);
        // 280 events/s at perPacket readouts a packet is 280 / perPacket packets/s: 20 / perPacket a pulse.
        assert.equal(summary.pulses, perPacket, "pulses of 20 packets");
      });
    }
  } finally {
    sink.close();
    await drain;
  }
});

Deno.test("nxflow efu --help lists every registered family with its summary", async () => {
  const help = await nxflow(["efu", "--help"]);
  for (const family of Object.values(FAMILIES)) {
    assert.ok(help.includes(`${family.name}: ${family.summary}`), family.name);
  }
});
