/**
 * The live view's static files, embedded as text imports so that they are part of the module graph: a checkout, the
 * offline release (its module cache) and the compiled binary all serve them with no network. uPlot (npm) draws the
 * plots; nothing is fetched from a CDN.
 *
 * @module
 */
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import appJs from "./static/app.js" with { type: "text" };
import plotsJs from "./static/plots.js" with { type: "text" };
import indexHtml from "./static/index.html" with { type: "text" };
import styleCss from "./static/style.css" with { type: "text" };

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** The files by their name under `/live/`. */
export const ASSETS: Record<string, { body: string; type: string }> = {
  "index.html": { body: indexHtml, type: "text/html; charset=utf-8" },
  "app.js": { body: appJs, type: JS },
  "plots.js": { body: plotsJs, type: JS },
  "style.css": { body: styleCss, type: CSS },
  "uplot.js": { body: uplotJs, type: JS },
  "uplot.css": { body: uplotCss, type: CSS },
};
