/**
 * A real browser for the live view's tests: Debian's `chromium` (installed with apt-get when missing), headless,
 * driven through the DevTools protocol by npm's puppeteer-core. Every console error, uncaught page error, failed
 * request and HTTP error response of the page is collected, for the tests to assert there are none.
 *
 * @module
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { aptInstall } from "../_harness/apt.ts";

const CHROMIUM = "/usr/bin/chromium";

/** What went wrong in the page so far. */
export interface PageProblems {
  console: string[];
  pageErrors: string[];
  failedRequests: string[];
  httpErrors: string[];
}

/** A headless Chromium with one page. */
export interface TestBrowser {
  browser: Browser;
  page: Page;
  problems: PageProblems;
  close(): Promise<void>;
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

/** Starts Chromium (flags for root on a closed network: no sandbox, no background traffic) with one page. */
export async function openBrowser(width = 1280, height = 800): Promise<TestBrowser> {
  await ensureChromium();
  const profile = await Deno.makeTempDir({ prefix: "nxflow-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  const problems: PageProblems = { console: [], pageErrors: [], failedRequests: [], httpErrors: [] };
  page.on("console", (m) => {
    if (m.type() === "error") problems.console.push(m.text());
  });
  page.on("pageerror", (e) => problems.pageErrors.push(String(e)));
  page.on("requestfailed", (r) => problems.failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.httpErrors.push(`${r.status()} ${r.url()}`);
  });
  return {
    browser,
    page,
    problems,
    close: async () => {
      page.removeAllListeners();
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
