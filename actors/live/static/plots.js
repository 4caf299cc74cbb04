// nxflow live view: drawing. The detector image on a canvas (log colour scale), and uPlot line plots. Plain script,
// loaded before app.js; exports one global, `nxPlots`.
"use strict";

(() => {
  // a perceptual dark-to-bright scale (our own anchors), 256 steps
  const ANCHORS = [
    [0.0, [13, 8, 135]],
    [0.25, [84, 2, 163]],
    [0.5, [185, 50, 137]],
    [0.75, [249, 142, 9]],
    [1.0, [240, 249, 33]],
  ];
  const LUT = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = 0;
    while (k < ANCHORS.length - 2 && t > ANCHORS[k + 1][0]) k++;
    const [t0, c0] = ANCHORS[k], [t1, c1] = ANCHORS[k + 1];
    const f = (t - t0) / (t1 - t0);
    for (let c = 0; c < 3; c++) LUT[i * 3 + c] = Math.round(c0[c] + f * (c1[c] - c0[c]));
  }

  /** Index of a count on the log scale: log(1 + v) / log(1 + max), 1..255 (0 counts: black). */
  function level(v, logMax) {
    if (!(v > 0)) return -1;
    return Math.max(1, Math.min(255, Math.round((Math.log1p(v) / logMax) * 255)));
  }

  /**
   * Draws a dethist (just-bin-it layout: shape [width, height], index x·height + y) as rows y, columns x.
   * Returns the maximum.
   */
  function drawImage(canvas, counts, width, height) {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
      canvas.classList.toggle("flat", height / width < 0.2);
    }
    let max = 0;
    for (let i = 0; i < counts.length; i++) if (counts[i] > max) max = counts[i];
    const logMax = Math.log1p(max) || 1;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(width, height);
    const px = img.data;
    for (let x = 0; x < width; x++) {
      for (let y = 0; y < height; y++) {
        const l = level(counts[x * height + y], logMax);
        const o = (y * width + x) * 4;
        px[o] = l < 0 ? 0 : LUT[l * 3];
        px[o + 1] = l < 0 ? 0 : LUT[l * 3 + 1];
        px[o + 2] = l < 0 ? 0 : LUT[l * 3 + 2];
        px[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    return max;
  }

  function drawColorbar(canvas) {
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(canvas.width, canvas.height);
    for (let y = 0; y < canvas.height; y++) {
      const l = Math.round(255 - (y / (canvas.height - 1)) * 254);
      for (let x = 0; x < canvas.width; x++) {
        const o = (y * canvas.width + x) * 4;
        img.data.set([LUT[l * 3], LUT[l * 3 + 1], LUT[l * 3 + 2], 255], o);
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  const COLOURS = ["#58a6ff", "#f778ba", "#3fb950", "#d29922", "#a371f7", "#ff7b72"];
  const AXIS = { stroke: "#8b9bab", grid: { stroke: "#2c3a47" }, ticks: { stroke: "#2c3a47" } };

  /** The page's font size in px (it grows with the screen), for the plots' text. */
  function fontPx() {
    return parseFloat(getComputedStyle(document.documentElement).fontSize) || 14;
  }

  function plotHeight(el) {
    return Math.max(140, Math.min(20 * fontPx(), Math.round(el.clientWidth * 0.38)));
  }

  /** A time axis shows at least the last minute up to now, so that a PV that does not change still moves on. */
  function timeRange(_u, min, max) {
    const now = Date.now() / 1000;
    return [Math.min(min ?? now, now - 60), Math.max(max ?? now, now)];
  }

  /** A uPlot line plot; `x` is "time" (values in s, shown in the browser's time zone) or a label. */
  function linePlot(el, { x, y, series, logY }) {
    const time = x === "time";
    const px = Math.round(fontPx() * 0.85);
    const font = `${px}px system-ui, sans-serif`;
    const axis = { ...AXIS, font, labelFont: `bold ${font}`, labelSize: px + 8 };
    const opts = {
      width: Math.max(200, el.clientWidth),
      height: plotHeight(el),
      scales: { x: time ? { time, range: timeRange } : { time }, y: logY ? { distr: 3 } : {} },
      axes: [
        { ...axis, label: time ? "time (local)" : x, size: (time ? 3.4 : 2.2) * px + 16 },
        {
          ...axis,
          label: y,
          size: (_u, values) => Math.max(3, ...(values ?? []).map((v) => v.length)) * px * 0.6 + px + 20,
        },
      ],
      series: [
        { label: time ? "time" : x },
        ...series.map((label, i) => ({
          label,
          stroke: COLOURS[i % COLOURS.length],
          width: 1.5,
          points: { show: false },
        })),
      ],
      legend: { live: true },
      hooks: { destroy: [() => resize.disconnect()] },
    };
    const data = [[], ...series.map(() => [])];
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: plotHeight(el) });
    });
    resize.observe(el);
    return plot;
  }

  globalThis.nxPlots = { drawImage, drawColorbar, linePlot };
})();
