// nxflow live view: the page's logic. Reads the server-sent LiveState stream (protocols/live.ts), fetches histogram
// counts when they change, and renders. What is shown is kept in `globalThis.nxflowLive` (the tests read the data
// behind the plots there). Times are shown in the browser's time zone.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const STALE_MS = 3000;
  const live = {
    /** the newest LiveState. */
    state: null,
    /** browser clock when it arrived. */
    receivedAt: 0,
    /** what the image and the spectrum show: {id, timestampNs, shape, counts (array)}. */
    shown: { image: null, spectrum: null },
    /** PV plots by source. */
    pvPlots: new Map(),
    /** how long the newest image took to draw (ms). */
    imageRenderMs: 0,
  };
  globalThis.nxflowLive = live;

  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });
  const num = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const NO_STOP = 9223372036854;

  function token() {
    return sessionStorage.getItem("nxflow-token") ?? "";
  }
  function headers() {
    const t = token();
    return t ? { authorization: `Bearer ${t}` } : {};
  }
  function bytes(n) {
    if (n === undefined) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
    return `${num.format(n)} ${units[i]}`;
  }
  function duration(ms) {
    if (!(ms >= 0)) return "–";
    const s = Math.round(ms / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return h ? `${h} h ${m} min` : m ? `${m} min ${r} s` : `${r} s`;
  }
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") e.className = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    e.append(...children);
    return e;
  }

  // ---- header, alerts, staleness -------------------------------------------------------------------------------
  function badge(node, text, cls) {
    node.textContent = text;
    node.className = `badge ${cls}`;
  }
  function renderStatus() {
    const s = live.state;
    const age = Date.now() - live.receivedAt;
    const stale = !s || age > STALE_MS;
    document.body.classList.toggle("stale", stale);
    $("clock").textContent = `${timeFmt.format(new Date())} (${zone})`;
    const alerts = [];
    if (stale) {
      alerts.push(
        s
          ? `Connection to nxflow lost: no update for ${duration(age)}; the figures below are from ${
            timeFmt.format(new Date(live.receivedAt))
          }`
          : "Connecting to nxflow…",
      );
    }
    if (s) alerts.push(...s.alerts);
    $("alerts").replaceChildren(...alerts.map((a) => el("div", {}, a)));
    if (!s) return;
    $("updated").textContent = `updated ${timeFmt.format(new Date(s.serverMs))}`;
    const h = s.health.status;
    badge($("health"), stale ? "nxflow unreachable" : `health: ${h}`, stale ? "bad" : h === "ok" ? "ok" : "warn");
    badge($("kafka"), s.kafka.connected ? "Kafka connected" : "Kafka down", s.kafka.connected ? "ok" : "bad");
    const streamDown = s.alerts.some((a) => a.startsWith("No events"));
    badge($("stream"), streamDown ? "event stream down" : "events flowing", streamDown ? "bad" : "ok");
    $("token-label").hidden = !s.tokenRequired;
  }

  // ---- histograms ----------------------------------------------------------------------------------------------
  const pending = new Set();
  async function fetchHistogram(id, which) {
    if (pending.has(id)) return;
    pending.add(id);
    try {
      const res = await fetch(`/live/histogram?id=${encodeURIComponent(id)}`, {
        headers: headers(),
        cache: "no-store",
      });
      if (!res.ok) return;
      const counts = new Float64Array(await res.arrayBuffer());
      const shape = (res.headers.get("x-shape") ?? "").split(",").map(Number);
      live.shown[which] = { id, timestampNs: res.headers.get("x-timestamp-ns"), shape, counts: Array.from(counts) };
      if (which === "image") renderImage(counts, shape);
      else renderSpectrum(counts);
    } finally {
      pending.delete(id);
    }
  }
  function updateHistograms() {
    const s = live.state;
    for (const which of ["image", "spectrum"]) {
      const h = s.histograms.find((x) => x.id === s[which].id);
      const meta = $(which === "image" ? "image-meta" : "tof-meta");
      if (!h) {
        meta.textContent = "no histogram from the histogrammer yet";
        continue;
      }
      meta.textContent = `${h.state}, ${num.format(h.sum)} counts, at ${
        timeFmt.format(new Date(Number(BigInt(h.timestampNs) / 1000000n)))
      }`;
      if (live.shown[which]?.timestampNs !== h.timestampNs) fetchHistogram(h.id, which);
    }
  }
  let imageShape = [1, 1];
  function renderImage(counts, shape) {
    imageShape = shape;
    const t0 = performance.now();
    const max = nxPlots.drawImage($("image"), counts, shape[0], shape[1]);
    live.imageRenderMs = performance.now() - t0;
    $("cb-max").textContent = num.format(max);
  }
  $("image").addEventListener("mousemove", (e) => {
    const c = $("image"), r = c.getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) / r.width) * imageShape[0]);
    const y = Math.floor(((e.clientY - r.top) / r.height) * imageShape[1]);
    const shown = live.shown.image;
    if (!shown || x < 0 || y < 0 || x >= imageShape[0] || y >= imageShape[1]) return;
    const first = live.state?.image.firstId ?? 0;
    $("image-hover").textContent = `x ${x}, y ${y}: ${shown.counts[x * imageShape[1] + y]} counts (pixel id ${
      first + y * imageShape[0] + x
    })`;
  });
  let tofPlot = null;
  let tofLog = false;
  function renderSpectrum(counts) {
    const h = live.state.histograms.find((x) => x.id === live.state.spectrum.id);
    const edges = h?.edges[0] ?? [];
    const log = $("tof-log").checked;
    if (!tofPlot || log !== tofLog) {
      tofPlot?.destroy();
      const y = log ? "counts (log scale)" : "counts";
      tofPlot = nxPlots.linePlot($("tof"), { x: "time of flight (ms)", y, series: ["counts"], logY: log });
      tofLog = log;
    }
    const xs = Array.from(counts, (_, i) => ((edges[i] + edges[i + 1]) / 2) / 1e6);
    // a log scale has no place for empty bins: they are gaps
    tofPlot.setData([xs, Array.from(counts, (c) => log && c <= 0 ? null : c)]);
  }
  $("tof-log").addEventListener("change", () => {
    const shown = live.shown.spectrum;
    if (shown) renderSpectrum(Float64Array.from(shown.counts));
  });

  // ---- rates, PVs --------------------------------------------------------------------------------------------------
  let ratePlot = null;
  let rateTopics = "";
  function renderRates() {
    const s = live.state;
    const topics = Object.keys(s.rates.events);
    if (topics.join() !== rateTopics) {
      ratePlot?.destroy();
      ratePlot = topics.length ? nxPlots.linePlot($("rates"), { x: "time", y: "events/s", series: topics }) : null;
      rateTopics = topics.join();
    }
    ratePlot?.setData([s.rates.times.map((t) => t / 1000), ...topics.map((t) => s.rates.events[t])]);
    $("topics").tBodies[0].replaceChildren(...s.topics.map((t) =>
      el(
        "tr",
        { "data-topic": t.topic },
        el("td", {}, t.topic),
        el("td", {}, num.format(t.messageRate)),
        el("td", {}, num.format(t.eventRate)),
        el("td", {}, String(t.messages)),
        el("td", {}, String(t.events)),
        el("td", {}, t.lastMs ? `${duration(s.serverMs - t.lastMs)} ago` : "–"),
      )
    ));
  }
  function renderPvs() {
    for (const pv of live.state.pvs) {
      let p = live.pvPlots.get(pv.source);
      if (!p) {
        const title = el("h3", {}, pv.source);
        const box = el("div", { class: "plot" });
        $("pvs").append(el("div", { class: "pv", "data-pv": pv.source }, title, box));
        const y = pv.unit ? `value (${pv.unit})` : "value (no unit)";
        p = { title, plot: nxPlots.linePlot(box, { x: "time", y, series: [pv.source] }) };
        live.pvPlots.set(pv.source, p);
      }
      const last = pv.values.at(-1);
      p.title.textContent = `${pv.source}: ${last === undefined ? "–" : num.format(last)} ${pv.unit}`;
      // a PV holds its value until it changes: its line goes on to now (a slow PV's only update is a line, not a dot)
      const now = live.state.serverMs;
      const extend = pv.times.length > 0 && pv.times.at(-1) < now;
      p.plot.setData([
        [...pv.times, ...(extend ? [now] : [])].map((t) => t / 1000),
        [...pv.values, ...(extend ? [last] : [])],
      ]);
    }
  }

  // ---- tree, jobs --------------------------------------------------------------------------------------------------
  function stateClass(state) {
    return state === "running" ? "ok" : state === "restarting" || state === "starting" ? "warn" : "bad";
  }
  function treeNode(n) {
    const name = n.path.split("/").pop();
    const line = [el("b", {}, name), " ", el("span", { class: `state ${stateClass(n.state)}` }, n.state)];
    line.push(` restarts ${n.restarts}`);
    if (n.kind === "actor" && n.lastExit) {
      const when = dateTimeFmt.format(new Date(n.lastExit.time));
      line.push(el("span", { class: "muted" }, ` · last exit ${n.lastExit.kind} at ${when}: ${n.lastExit.reason}`));
    }
    const li = el("li", { "data-path": n.path, "data-restarts": String(n.restarts), "data-state": n.state }, ...line);
    if (n.kind === "supervisor") li.append(el("ul", {}, ...n.children.map(treeNode)));
    return li;
  }
  function renderTree() {
    const t = live.state.tree;
    $("tree-meta").textContent = `started ${
      dateTimeFmt.format(new Date(t.startedAt))
    }, leaked threads ${t.leakedThreads}`;
    $("tree").replaceChildren(el("ul", {}, ...t.root.children.map(treeNode)));
  }
  function renderJobs() {
    const s = live.state;
    const now = s.serverMs;
    $("jobs").tBodies[0].replaceChildren(...s.jobs.map((j) => {
      const timed = j.stopMs > 0 && j.stopMs < NO_STOP;
      const end = j.state === "writing" ? now : timed ? Math.min(j.stopMs, j.updatedMs) : j.updatedMs;
      const remaining = j.state !== "writing" ? "–" : timed ? duration(Math.max(0, j.stopMs - now)) : "until stopped";
      const progress = timed && j.startMs ? Math.min(1, (end - j.startMs) / (j.stopMs - j.startMs)) : null;
      const file = el("td", { title: j.path ?? j.filename }, j.filename);
      if (progress !== null) {
        file.append(el("div", { class: "progress" }, el("div", { style: `width: ${(progress * 100).toFixed(1)}%` })));
      }
      return el(
        "tr",
        { "data-job-id": j.jobId, "data-state": j.state },
        file,
        el("td", { title: j.error ?? "" }, j.state + (j.error ? `: ${j.error}` : "")),
        el("td", {}, j.startMs ? dateTimeFmt.format(new Date(j.startMs)) : "–"),
        el("td", {}, timed ? dateTimeFmt.format(new Date(j.stopMs)) : "until stopped"),
        el("td", {}, j.startMs ? duration(end - j.startMs) : "–"),
        el("td", {}, remaining),
        el("td", {}, j.written === undefined ? "–" : String(j.written)),
        el("td", {}, j.events === undefined ? "–" : String(j.events)),
        el("td", {}, bytes(j.bytes)),
        el("td", {}, bytes(j.fileBytes)),
      );
    }));
  }

  // ---- controls ----------------------------------------------------------------------------------------------------
  async function control(path, body) {
    const t = $("token").value.trim();
    if (t) sessionStorage.setItem("nxflow-token", t);
    $("control-status").textContent = "sending…";
    try {
      const res = await fetch(path, {
        method: "POST",
        headers: { ...headers(), "content-type": "application/json" },
        body: JSON.stringify(body ?? {}),
      });
      const reply = await res.json();
      const text = reply.ok
        ? `done${reply.filename ? `: ${reply.filename}` : ""}${reply.stopped ? `: ${reply.stopped.length} run(s)` : ""}`
        : `refused (${res.status}): ${reply.error}`;
      $("control-status").textContent = `${timeFmt.format(new Date())} ${text}`;
      $("control-status").dataset.status = String(res.status);
    } catch (error) {
      $("control-status").textContent = `cannot reach nxflow: ${error.message}`;
    }
  }
  $("run-form").addEventListener("submit", (e) => {
    e.preventDefault();
    control("/live/run/start", { title: $("run-title").value, durationS: Number($("run-duration").value) || 0 });
  });
  $("run-stop").addEventListener("click", () => control("/live/run/stop"));
  $("hist-reset").addEventListener("click", () => control("/live/histograms/reset"));

  // ---- the stream ------------------------------------------------------------------------------------------------
  function onState(s) {
    live.state = s;
    live.receivedAt = Date.now();
    renderStatus();
    updateHistograms();
    renderRates();
    renderPvs();
    renderTree();
    renderJobs();
  }
  async function connect() {
    for (;;) {
      try {
        const res = await fetch("/live/events", { headers: headers(), cache: "no-store" });
        if (res.status === 401) {
          $("token-label").hidden = false;
          $("control-status").textContent = "this page needs the admin token to read from another host";
        } else if (res.ok && res.body) {
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              const data = buffer.slice(0, end).split("\n").filter((l) => l.startsWith("data: ")).map((l) =>
                l.slice(6)
              );
              buffer = buffer.slice(end + 2);
              if (data.length) onState(JSON.parse(data.join("\n")));
            }
          }
        }
      } catch {
        // nxflow unreachable: shown as stale; try again
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  nxPlots.drawColorbar($("colorbar"));
  setInterval(renderStatus, 500);
  connect();
})();
