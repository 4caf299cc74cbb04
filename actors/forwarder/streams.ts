/**
 * The forwarder's stream set and how fc00 changes it (ESS forwarder semantics, reference part B.1):
 *
 * - `ADD`: each stream needs a channel, schema and topic; unknown or unsupported protocol/schema, and a stream
 *   identical to one already configured, are skipped with a reason;
 * - `REMOVE`: empty fields match anything; channel and topic take `?`/`*` wildcards; schema matches exactly;
 * - `REMOVEALL`: the streams list is ignored;
 * - `REPLACE`: REMOVEALL, then ADD.
 *
 * CA and PVA (the default: fc00's enum starts with PVA) are monitored; FAKE streams are rejected. A channel has one
 * protocol: a stream naming another protocol than the channel's existing streams is skipped. The `nttable_se00` and
 * `nttable_senv` schemas exist for PVA only, as in ESS's forwarder.
 *
 * @module
 */
import { BadBufferError, fc00, fileIdentifier } from "../../schemas/mod.ts";
import type { OutputSchema, Stream, StreamProtocol } from "../../protocols/forwarder.ts";

/** Output schemas a CA stream may use. */
export const CA_SCHEMAS: readonly OutputSchema[] = ["f144", "f142", "tdct", "al00", "ep01"];
/** Output schemas a PVA stream may use. */
export const PVA_SCHEMAS: readonly OutputSchema[] = [...CA_SCHEMAS, "nttable_se00", "nttable_senv"];
const PROTOCOLS: readonly StreamProtocol[] = ["PVA", "CA", "FAKE"];
const CHANGES = ["ADD", "REMOVE", "REMOVEALL", "REPLACE"] as const;

/** A decoded, not yet validated change. */
export interface ConfigChange {
  change: (typeof CHANGES)[number];
  streams: (Partial<Omit<Stream, "protocol">> & { protocol: StreamProtocol | number })[];
}

/** What applying a change did. */
export interface ApplyResult {
  streams: Stream[];
  /** one reason per stream that was skipped. */
  skipped: string[];
  changed: boolean;
}

/** Decodes an fc00 message; throws {@linkcode BadBufferError} for anything else (wrong schema, broken bytes). */
export function decodeChange(bytes: Uint8Array): ConfigChange {
  const id = fileIdentifier(bytes);
  if (id !== "fc00") throw new BadBufferError(id, `wrong schema "${id}", expected fc00`);
  const m = fc00.decode(bytes);
  const change = typeof m.config_change === "number" ? CHANGES[m.config_change] : m.config_change;
  if (!change) throw new BadBufferError("fc00", `unknown config_change ${m.config_change}`);
  return {
    change,
    streams: (m.streams ?? []).map((s) => ({
      channel: s.channel,
      schema: s.schema as OutputSchema | undefined,
      topic: s.topic,
      protocol: typeof s.protocol === "number" ? PROTOCOLS[s.protocol] ?? s.protocol : s.protocol,
      periodic: s.periodic,
    })),
  } as ConfigChange;
}

/** Checks one stream to add; returns it, or the reason it is skipped. */
export function checkStream(s: ConfigChange["streams"][number], current: readonly Stream[]): Stream | string {
  const name = JSON.stringify(s.channel ?? "");
  if (!s.channel || !s.schema || !s.topic) return `stream ${name}: channel, schema and topic are all required`;
  const protocol = s.protocol ?? "PVA";
  if (protocol !== "CA" && protocol !== "PVA") {
    return `stream ${name}: protocol ${protocol} is not supported; use PVA or CA`;
  }
  const schemas = protocol === "CA" ? CA_SCHEMAS : PVA_SCHEMAS;
  if (!schemas.includes(s.schema as OutputSchema)) {
    return `stream ${name}: schema "${s.schema}" is not supported for ${protocol} (use ${schemas.join(", ")})`;
  }
  const other = current.find((c) => c.channel === s.channel && c.protocol !== protocol);
  if (other) return `stream ${name}: the channel is already configured over ${other.protocol}, not ${protocol}`;
  const stream: Stream = {
    channel: s.channel,
    schema: s.schema as OutputSchema,
    topic: s.topic,
    protocol,
    periodic: s.periodic ?? 0,
  };
  if (current.some((c) => sameStream(c, stream))) return `stream ${name}: already configured, ignored`;
  return stream;
}

function sameStream(a: Stream, b: Stream): boolean {
  return a.channel === b.channel && a.schema === b.schema && a.topic === b.topic && a.periodic === b.periodic;
}

/** fnmatch-style `?` and `*` (the only wildcards ESS supports) as a whole-string test. */
export function wildcard(pattern: string): (text: string) => boolean {
  const re = new RegExp(
    "^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".") + "$",
    "s",
  );
  return (text) => re.test(text);
}

function addAll(current: Stream[], add: ConfigChange["streams"], skipped: string[]): Stream[] {
  const out = [...current];
  for (const s of add) {
    const checked = checkStream(s, out);
    if (typeof checked === "string") skipped.push(checked);
    else out.push(checked);
  }
  return out;
}

function removeMatching(current: Stream[], remove: ConfigChange["streams"], skipped: string[]): Stream[] {
  let out = current;
  for (const r of remove) {
    if (!r.channel && !r.schema && !r.topic) {
      skipped.push("REMOVE stream without channel, schema or topic ignored");
      continue;
    }
    const channel = r.channel ? wildcard(r.channel) : () => true;
    const topic = r.topic ? wildcard(r.topic) : () => true;
    out = out.filter((s) => !(channel(s.channel) && topic(s.topic) && (!r.schema || r.schema === s.schema)));
  }
  return out;
}

/** Applies a change to the current set. */
export function applyChange(current: Stream[], c: ConfigChange): ApplyResult {
  const skipped: string[] = [];
  let streams: Stream[];
  switch (c.change) {
    case "ADD":
      streams = addAll(current, c.streams, skipped);
      break;
    case "REMOVE":
      streams = removeMatching(current, c.streams, skipped);
      break;
    case "REMOVEALL":
      streams = [];
      break;
    case "REPLACE":
      streams = addAll([], c.streams, skipped);
      break;
  }
  const changed = streams.length !== current.length || streams.some((s, i) => !sameStream(s, current[i]));
  return { streams, skipped, changed };
}
