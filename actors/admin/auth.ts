/**
 * Who may call the admin endpoint. Reading (GET) is open to clients on loopback; a client on another host needs the
 * admin token, and so does every control (POST: the live view's run and histogram controls, `POST /chaos`) when a
 * token is set. With no token, controls are taken from loopback clients only, and nxflow refuses to bind the
 * endpoint to anything but loopback (`checkAdminBinding`). The token is read from a file (`--admin-token-file`),
 * sent as `Authorization: Bearer <token>`, and compared in constant time (SHA-256 digests of both, compared with
 * `timingSafeEqual`, so neither the length nor a prefix of the token leaks through timing).
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** Whether a host name or address is loopback (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Checks the admin binding: anything but loopback needs a token file.
 *
 * @throws {RangeError} naming the setting.
 */
export function checkAdminBinding(host: string, tokenFile: string): void {
  if (!isLoopback(host) && !tokenFile) {
    throw new RangeError(
      `Cannot use admin.host ${host}: an admin endpoint beyond loopback needs a token (--admin-token-file FILE); ` +
        `or reach it through an SSH tunnel (ssh -L 8790:127.0.0.1:8790 host)`,
    );
  }
}

/**
 * Reads the token file: its text without surrounding white space, at least 16 characters.
 *
 * @throws {Error} when the file cannot be read or holds too short a token.
 */
export async function readToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new Error(`cannot read the admin token file ${file}: ${(error as Error).message}`);
  }
  const token = text.trim();
  if (token.length < 16) throw new Error(`the admin token in ${file} is shorter than 16 characters`);
  return token;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** The endpoint's access rule; see the module doc. */
export class AdminAuth {
  readonly #digest: Uint8Array | null;

  /** @param token the admin token, or null for none. */
  constructor(token: string | null) {
    this.#digest = token === null ? null : digest(token);
  }

  /** Whether a token is set. */
  get tokenSet(): boolean {
    return this.#digest !== null;
  }

  /** Whether the request carries the token (constant time). */
  hasToken(req: Request): boolean {
    if (this.#digest === null) return false;
    const header = req.headers.get("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    return timingSafeEqual(digest(given), this.#digest);
  }

  /**
   * Null when the request may go on, else the refusal: 401 when the token is needed and missing or wrong, 403 for a
   * control from another host when no token is set.
   *
   * @param open whether the route is open to anyone (pages and scripts that carry no data).
   */
  refuse(req: Request, clientHost: string, open: boolean): Response | null {
    const control = req.method !== "GET" && req.method !== "HEAD";
    const local = isLoopback(clientHost);
    if (!control && (open || local)) return null;
    if (this.#digest === null) {
      return local ? null : Response.json({ ok: false, error: "controls are taken from loopback only" }, {
        status: 403,
      });
    }
    if (this.hasToken(req)) return null;
    return Response.json(
      { ok: false, error: "this needs the admin token: Authorization: Bearer <token of --admin-token-file>" },
      { status: 401, headers: { "www-authenticate": 'Bearer realm="nxflow"' } },
    );
  }
}
