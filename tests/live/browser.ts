/**
 * A real browser for the live view's tests: Debian's `chromium` (installed with apt-get when missing), headless,
 * driven over the Chrome DevTools protocol directly (Deno's WebSocket; no npm package, so nothing test-only lands in
 * the lockfile's npm snapshot that `deno compile` embeds). Every console error, log error (e.g. "Failed to load
 * resource"), uncaught page error, failed request and HTTP error response of the page is collected, for the tests to
 * assert there are none.
 *
 * @module
 */
import { aptInstall } from "../_harness/apt.ts";

const CHROMIUM = "/usr/bin/chromium";

/** What went wrong in the page so far. */
export interface PageProblems {
  console: string[];
  pageErrors: string[];
  failedRequests: string[];
  httpErrors: string[];
}

let installed: Promise<void> | null = null;

/** Makes sure Debian's chromium is there (once per process). */
export function ensureChromium(): Promise<void> {
  installed ??= (async () => {
    try {
      await Deno.stat(CHROMIUM);
    } catch {
      await aptInstall("chromium");
    }
  })();
  return installed;
}

type Params = Record<string, unknown>;
interface CdpMessage {
  id?: number;
  sessionId?: string;
  method?: string;
  params?: Params;
  result?: Params;
  error?: { message: string };
}

/** A headless Chromium with one page, driven over CDP. */
export class TestBrowser {
  readonly problems: PageProblems = { console: [], pageErrors: [], failedRequests: [], httpErrors: [] };
  #next = 1;
  #pending = new Map<number, { resolve: (r: Params) => void; reject: (e: Error) => void }>();
  #waiters: { method: string; resolve: () => void }[] = [];
  #urls = new Map<string, string>();
  #session = "";

  private constructor(readonly child: Deno.ChildProcess, readonly ws: WebSocket, readonly profile: string) {
    ws.onmessage = (e) => this.#receive(JSON.parse(e.data as string));
  }

  /** Starts Chromium (flags for root on a closed network: no sandbox, no background traffic) with one page. */
  static async open(width = 1280, height = 800): Promise<TestBrowser> {
    await ensureChromium();
    const profile = await Deno.makeTempDir({ prefix: "nxflow-chromium-" });
    const child = new Deno.Command(CHROMIUM, {
      args: [
        ...["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        ...["--disable-background-networking", "--disable-component-update", "--disable-sync"],
        ...["--remote-debugging-port=0", `--user-data-dir=${profile}`, "about:blank"],
      ],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const url = await devtoolsUrl(child.stderr);
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`cannot connect to Chromium's DevTools at ${url}`));
    });
    const b = new TestBrowser(child, ws, profile);
    const { targetId } = await b.#send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await b.#send("Target.attachToTarget", { targetId, flatten: true });
    b.#session = sessionId as string;
    for (const domain of ["Runtime", "Log", "Network", "Page"]) await b.send(`${domain}.enable`);
    await b.setViewport(width, height);
    return b;
  }

  #send(method: string, params: Params = {}, sessionId?: string): Promise<Params> {
    const id = this.#next++;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /** Sends a command to the page's session. */
  send(method: string, params: Params = {}): Promise<Params> {
    return this.#send(method, params, this.#session);
  }

  #receive(m: CdpMessage): void {
    if (m.id !== undefined) {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result ?? {});
      return;
    }
    const params = (m.params ?? {}) as Record<string, Record<string, unknown> & { [k: string]: unknown }>;
    switch (m.method) {
      case "Runtime.consoleAPICalled":
        if (params.type as unknown === "error") {
          const args = (params.args as unknown as { value?: unknown; description?: string }[]) ?? [];
          this.problems.console.push(args.map((a) => a.description ?? String(a.value)).join(" "));
        }
        break;
      case "Log.entryAdded":
        if (params.entry.level === "error") {
          this.problems.console.push(`${params.entry.text} ${params.entry.url ?? ""}`);
        }
        break;
      case "Runtime.exceptionThrown":
        this.problems.pageErrors.push(JSON.stringify(params.exceptionDetails));
        break;
      case "Network.requestWillBeSent":
        this.#urls.set(params.requestId as unknown as string, params.request.url as string);
        break;
      case "Network.loadingFailed":
        this.problems.failedRequests.push(
          `${this.#urls.get(params.requestId as unknown as string)}: ${params.errorText}`,
        );
        break;
      case "Network.responseReceived":
        if ((params.response.status as number) >= 400) {
          this.problems.httpErrors.push(`${params.response.status} ${params.response.url}`);
        }
        break;
    }
    this.#waiters = this.#waiters.filter((w) => w.method !== m.method || (w.resolve(), false));
  }

  /** Loads a page and waits for its load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.#waiters.push({ method: "Page.loadEventFired", resolve }));
    const r = await this.send("Page.navigate", { url });
    if (r.errorText) throw new Error(`cannot load ${url}: ${r.errorText}`);
    await loaded;
  }

  async setViewport(width: number, height: number): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
  }

  /** Evaluates a JavaScript expression in the page (awaiting a promise) and returns its value as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(r.exceptionDetails)}`);
    return (r.result as { value: T }).value;
  }

  /** Waits until an expression is truthy in the page; throws after `timeoutMs`. */
  async waitFor(expression: string, timeoutMs: number, pollMs = 50): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await this.evaluate<unknown>(expression))) {
      if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Saves a PNG of the viewport, or of the whole page. */
  async screenshot(path: string, fullPage = false): Promise<void> {
    let clip;
    if (fullPage) {
      const m = await this.send("Page.getLayoutMetrics");
      const size = m.cssContentSize as { width: number; height: number };
      clip = { x: 0, y: 0, width: size.width, height: size.height, scale: 1 };
    }
    const r = await this.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: fullPage, clip });
    await Deno.writeFile(path, Uint8Array.from(atob(r.data as string), (c) => c.charCodeAt(0)));
  }

  async close(): Promise<void> {
    await this.#send("Browser.close").catch(() => {});
    this.ws.close();
    try {
      this.child.kill("SIGKILL");
    } catch {
      // it has ended
    }
    await this.child.status;
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}

/** Reads Chromium's stderr until it says where its DevTools listen; the rest of stderr is drained. */
async function devtoolsUrl(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = text.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })();
      return m[1];
    }
  }
  throw new Error(`Chromium did not open its DevTools port: ${text.slice(-2000)}`);
}
