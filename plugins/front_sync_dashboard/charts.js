// The page's two charts, drawn on canvas with no library (the page loads nothing from elsewhere): a time axis
// fitted to the runs shown, records per run split by resource, API calls and rate-limit headroom; a tooltip on
// hover (or tap) names the run and its figures. Uses el(), num(), span(), when() and COLOURS from dashboard.js.
"use strict";

const PAD = { left: 52, right: 52, top: 10, bottom: 30 };
const STEPS = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400];

function compact(v) {
  const trim = (x) => x.toFixed(1).replace(/\.0$/, "");
  if (v >= 1e6) return `${trim(v / 1e6)}M`;
  if (v >= 1e4) return `${trim(v / 1e3)}k`;
  return v >= 10 || v === 0 ? Math.round(v).toLocaleString("en-US") : trim(v);
}

// A "nice" top for an axis of four steps: each step 1, 2, 2.5 or 5 times a power of ten, the top at least v.
function niceMax(v) {
  if (v <= 0) return 4;
  const step = v / 4, p = 10 ** Math.floor(Math.log10(step));
  return 4 * [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= step);
}

function setup(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.parentNode.clientWidth || 320, height = canvas.clientHeight || 240;
  canvas.style.width = `${width}px`;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = "11px system-ui, sans-serif";
  return { ctx, width, height, plotW: width - PAD.left - PAD.right, plotH: height - PAD.top - PAD.bottom };
}

// From a little before the first run to a little after now (at least 30 minutes), and x(iso) in it.
function timeScale(starts, plotW) {
  const now = Date.now();
  const first = Math.min(now - 1800000, ...starts.map((s) => Date.parse(s)));
  const start = first - (now - first) * 0.05, end = now + (now - first) * 0.05;
  return { start, end, x: (iso) => PAD.left + ((Date.parse(iso) - start) / (end - start)) * plotW };
}

function timeAxis(ctx, scale, plotW, plotH) {
  const seconds = (scale.end - scale.start) / 1000;
  const maxTicks = Math.max(2, Math.floor(plotW / 70));
  const step = STEPS.find((s) => seconds / s <= maxTicks) || STEPS[STEPS.length - 1];
  const days = seconds > 2 * 86400;
  ctx.fillStyle = "#4a5568"; ctx.strokeStyle = "#edf2f7";
  for (let t = Math.ceil(scale.start / 1000 / step) * step; t * 1000 <= scale.end; t += step) {
    const d = new Date(t * 1000);
    const px = PAD.left + ((t * 1000 - scale.start) / (scale.end - scale.start)) * plotW;
    const label = days || step >= 86400 ? `${d.getUTCMonth() + 1}/${d.getUTCDate()}`
      : `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
    ctx.beginPath(); ctx.moveTo(px, PAD.top); ctx.lineTo(px, PAD.top + plotH); ctx.stroke();
    ctx.fillText(label, px - ctx.measureText(label).width / 2, PAD.top + plotH + 14);
  }
  ctx.fillText("UTC", PAD.left + plotW + 8, PAD.top + plotH + 14);
}

function valueAxis(ctx, max, plotW, plotH, colour, right) {
  ctx.fillStyle = colour;
  for (let i = 0; i <= 4; i++) {
    const y = PAD.top + plotH - (i / 4) * plotH;
    const text = compact(max * i / 4);
    ctx.fillText(text, right ? PAD.left + plotW + 6 : PAD.left - 6 - ctx.measureText(text).width, y + 4);
  }
  ctx.strokeStyle = "#cbd5e0"; ctx.lineWidth = 1;
  ctx.strokeRect(PAD.left, PAD.top, plotW, plotH);
}

function emptyChart(ctx, plotW, plotH, text) {
  ctx.fillStyle = "#718096";
  ctx.fillText(text, PAD.left + plotW / 2 - ctx.measureText(text).width / 2, PAD.top + plotH / 2);
}

function barWidth(count, plotW) {
  return Math.max(3, Math.min(18, plotW / Math.max(count, 1) / 1.6));
}

// Records per run stacked by resource; a run with a failed task gets a red cap.
function drawRecords(canvas, data, colourOf) {
  const { ctx, plotW, plotH } = setup(canvas);
  const byRun = new Map();
  for (const r of data.resource_runs) {
    const key = `${r.dag_id} ${r.run_id}`;
    if (!byRun.has(key)) byRun.set(key, { dag_id: r.dag_id, run_id: r.run_id, started_at: r.started_at, parts: [] });
    const run = byRun.get(key);
    if (r.started_at < run.started_at) run.started_at = r.started_at;
    run.parts.push(r);
  }
  const runs = [...byRun.values()];
  const scale = timeScale(runs.map((r) => r.started_at), plotW);
  const total = (run) => run.parts.reduce((n, p) => n + (Number(p.records) || 0), 0);
  const max = niceMax(Math.max(0, ...runs.map(total)));
  timeAxis(ctx, scale, plotW, plotH);
  valueAxis(ctx, max, plotW, plotH, "#4a5568", false);
  const w = barWidth(runs.length, plotW);
  canvas.hits = [];
  for (const run of runs) {
    let y = PAD.top + plotH;
    const x = scale.x(run.started_at) - w / 2;
    for (const part of run.parts) {
      const h = ((Number(part.records) || 0) / max) * plotH;
      ctx.fillStyle = colourOf(part.resource);
      ctx.fillRect(x, y - h, w, h);
      y -= h;
    }
    if (run.parts.some((p) => p.failed)) { ctx.fillStyle = "#c53030"; ctx.fillRect(x, y - 4, w, 4); }
    canvas.hits.push({ x: x + w / 2, lines: [`${run.dag_id}, ${when(run.started_at)}`, `${num(total(run))} records`,
      ...run.parts.filter((p) => p.records || p.failed).map((p) => `${p.resource}: ${num(p.records)}` +
        `${p.failed ? " (failed)" : ""}`)] });
  }
  if (!runs.length) emptyChart(ctx, plotW, plotH, `No sync runs in the last ${data.history_days} days`);
  canvas.dataset.points = String(runs.length);
}

// API calls per run (bars) and the lowest x-ratelimit-remaining any of its tasks saw (line).
function drawQuota(canvas, data) {
  const { ctx, plotW, plotH } = setup(canvas);
  const runs = data.runs;
  const scale = timeScale(runs.map((r) => r.started_at), plotW);
  const callsMax = niceMax(Math.max(0, ...runs.map((r) => Number(r.api_calls) || 0)));
  const limit = Math.max(0, ...runs.map((r) => Number(r.quota_limit) || Number(r.quota_remaining_min) || 0));
  const leftMax = niceMax(limit);
  timeAxis(ctx, scale, plotW, plotH);
  valueAxis(ctx, callsMax, plotW, plotH, "#805ad5", false);
  valueAxis(ctx, leftMax, plotW, plotH, "#2f855a", true);
  const w = barWidth(runs.length, plotW);
  canvas.hits = [];
  for (const r of runs) {
    const h = ((Number(r.api_calls) || 0) / callsMax) * plotH;
    ctx.fillStyle = r.failed_tasks > 0 ? "#c53030" : "#805ad5";
    ctx.fillRect(scale.x(r.started_at) - w / 2, PAD.top + plotH - h, w, h);
    canvas.hits.push({ x: scale.x(r.started_at), lines: [`${r.dag_id}, ${when(r.started_at)}`,
      `${num(r.api_calls)} API calls in ${span(r.duration_seconds || 0)}`,
      r.quota_remaining_min === null ? "rate-limit headroom not recorded"
        : `lowest headroom ${num(r.quota_remaining_min)} of ${num(r.quota_limit)} calls per minute`] });
  }
  const line = runs.filter((r) => r.quota_remaining_min !== null && r.quota_remaining_min !== undefined);
  ctx.strokeStyle = "#2f855a"; ctx.fillStyle = "#2f855a"; ctx.lineWidth = 1.5;
  ctx.beginPath();
  line.forEach((r, i) => {
    const px = scale.x(r.started_at), py = PAD.top + plotH - (Number(r.quota_remaining_min) / leftMax) * plotH;
    if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
  });
  ctx.stroke();
  for (const r of line) {
    ctx.beginPath();
    ctx.arc(scale.x(r.started_at), PAD.top + plotH - (Number(r.quota_remaining_min) / leftMax) * plotH, 2.5, 0,
      2 * Math.PI);
    ctx.fill();
  }
  if (!runs.length) emptyChart(ctx, plotW, plotH, `No sync runs in the last ${data.history_days} days`);
  canvas.dataset.points = String(runs.length);
}

function legend(node, names, colourOf) {
  node.replaceChildren(...names.map((name) => {
    const item = el("span", null, "legend-item");
    const swatch = el("span", null, "swatch");
    swatch.style.background = colourOf(name);
    item.append(swatch, el("span", name));
    return item;
  }));
}

// The run under the pointer (within 10 px), its figures in the tooltip.
function hover(event) {
  const canvas = event.currentTarget, tip = document.getElementById("tooltip");
  const box = canvas.getBoundingClientRect();
  const x = event.clientX - box.left;
  const near = (canvas.hits || []).reduce((best, hit) =>
    Math.abs(hit.x - x) < 10 && (!best || Math.abs(hit.x - x) < Math.abs(best.x - x)) ? hit : best, null);
  if (!near) { tip.hidden = true; return; }
  tip.replaceChildren(...near.lines.map((line) => el("div", line)));
  tip.hidden = false;
  const left = Math.min(event.clientX + 12, document.documentElement.clientWidth - tip.offsetWidth - 4);
  tip.style.left = `${Math.max(4, left) + window.scrollX}px`;
  tip.style.top = `${event.clientY + 12 + window.scrollY}px`;
}

function drawCharts(data) {
  const order = data.resources.map((r) => r.resource);
  const seen = new Set(data.resource_runs.map((r) => r.resource));
  const names = order.filter((name) => seen.has(name));
  const colourOf = (name) => COLOURS[Math.max(0, order.indexOf(name)) % COLOURS.length];
  legend(document.getElementById("legend-records"), names, colourOf);
  drawRecords(document.getElementById("chart-runs"), data, colourOf);
  drawQuota(document.getElementById("chart-quota"), data);
  for (const canvas of document.querySelectorAll(".charts canvas")) {
    if (!canvas.dataset.wired) {
      canvas.addEventListener("mousemove", hover);
      canvas.addEventListener("click", hover);
      canvas.addEventListener("mouseleave", () => { document.getElementById("tooltip").hidden = true; });
      canvas.dataset.wired = "1";
    }
  }
}
