// The Front sync page: fills itself from data.json and triggers DAG runs through Airflow's REST API.
// Same origin as the Airflow UI: the browser sends the user's session cookie, so Airflow authenticates and
// authorises every call. Values are written with textContent only (never as HTML).
"use strict";

// The page lives at <airflow base>/front-sync/: the UI and its API are under <airflow base>.
const AIRFLOW_BASE = window.location.pathname.replace(/front-sync\/.*$/, "");
const REFRESH_MS = 60000;
const PRIORITIES = { 0: "on demand", 1: "hourly", 2: "backfill" };

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function num(value) {
  return value === null || value === undefined ? "–" : Number(value).toLocaleString("en-US");
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

function when(iso) {
  return iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC") : "–";
}

function uiLink(path, text) {
  const a = el("a", text);
  a.href = AIRFLOW_BASE + path;
  a.target = "_top"; // open in the Airflow UI, not inside this frame
  return a;
}

function taskLogPath(e) {
  const enc = encodeURIComponent;
  return `dags/${enc(e.dag_id)}/runs/${enc(e.run_id)}/tasks/${enc(e.task_id)}?try_number=${enc(e.try_number)}`;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) tr.appendChild(cell);
  return tr;
}

function numCell(value) {
  return el("td", num(value), "num");
}

function resourceRow(r) {
  const run = r.last_run || {};
  const fresh = el("td");
  fresh.appendChild(el("span", null, `dot fresh-${r.freshness}`));
  fresh.appendChild(el("span", age(r.age_seconds)));
  fresh.title = r.last_success_at ? when(r.last_success_at) : "no successful sync yet";
  fresh.dataset.freshness = r.freshness;
  const status = el("td", r.last_run ? `${run.status} (${run.sync_type})` : "–", `status-${run.status}`);
  if (r.last_run) status.title = `${run.dag_id} ${run.run_id}, started ${when(run.started_at)}`;
  const button = el("button", "Sync now");
  button.type = "button";
  button.title = "Trigger front_sync_incremental (it syncs every resource that changed)";
  button.addEventListener("click", () => trigger("front_sync_incremental", {},
    `Triggered from the Front sync page for ${r.resource}`));
  const rows = el("td", (r.rows_estimated ? "~" : "") + num(r.rows), "num");
  const tr = row([el("td", r.resource), fresh, status, numCell(run.fetched), numCell(run.created),
    numCell(run.updated), numCell(run.unchanged), numCell(run.deleted), numCell(run.duration_seconds), rows,
    numCell(r.dead_letters), numCell(r.conflicts), numCell(r.pending), wrap(button)]);
  tr.dataset.resource = r.resource;
  return tr;
}

function wrap(node) {
  const td = el("td");
  td.appendChild(node);
  return td;
}

function fill(tableId, rows, emptyText, columns) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(...rows);
  if (!rows.length) {
    const td = el("td", emptyText, "muted");
    td.colSpan = columns;
    body.appendChild(row([td]));
  }
}

function errorRow(e) {
  return row([el("td", when(e.started_at)), el("td", e.dag_id), el("td", e.task_id), el("td", e.try_number),
    el("td", e.resource), el("td", e.error_message, "error"), wrap(uiLink(taskLogPath(e), "log"))]);
}

function pendingRow(p) {
  return row([el("td", p.resource), el("td", PRIORITIES[p.priority] || p.priority), numCell(p.queued),
    numCell(p.claimed), numCell(p.retrying), numCell(p.max_attempts), el("td", when(p.oldest_enqueued_at))]);
}

// A small two-axis time chart: bars for one figure (left axis), a line with dots for another (right axis).
function drawChart(canvas, runs, spec) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 640, height = canvas.clientHeight || 240;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = "11px system-ui, sans-serif";
  const pad = { left: 56, right: 56, top: 12, bottom: 28 };
  const plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
  const end = Date.now(), start = end - spec.days * 86400000;
  const x = (iso) => pad.left + ((Date.parse(iso) - start) / (end - start)) * plotW;
  const points = runs.filter((r) => Date.parse(r.started_at) >= start);
  const maxOf = (key) => Math.max(1, ...points.map((r) => Number(r[key]) || 0));
  const barMax = maxOf(spec.bar.key), lineMax = maxOf(spec.line.key);
  axes(ctx, pad, plotW, plotH, start, end, spec, barMax, lineMax);
  const barW = Math.max(2, Math.min(12, plotW / Math.max(points.length, 1) / 2));
  ctx.fillStyle = spec.bar.color;
  for (const r of points) {
    const h = ((Number(r[spec.bar.key]) || 0) / barMax) * plotH;
    ctx.fillStyle = r.failed_tasks > 0 ? "#c53030" : spec.bar.color;
    ctx.fillRect(x(r.started_at) - barW / 2, pad.top + plotH - h, barW, h);
  }
  const linePoints = points.filter((r) => r[spec.line.key] !== null && r[spec.line.key] !== undefined);
  ctx.strokeStyle = spec.line.color; ctx.fillStyle = spec.line.color; ctx.lineWidth = 1.5;
  ctx.beginPath();
  linePoints.forEach((r, i) => {
    const px = x(r.started_at), py = pad.top + plotH - (Number(r[spec.line.key]) / lineMax) * plotH;
    if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
  });
  ctx.stroke();
  for (const r of linePoints) {
    const py = pad.top + plotH - (Number(r[spec.line.key]) / lineMax) * plotH;
    ctx.beginPath(); ctx.arc(x(r.started_at), py, 2.5, 0, 2 * Math.PI); ctx.fill();
  }
  if (!points.length) {
    ctx.fillStyle = "#718096";
    ctx.fillText("No runs in this period", pad.left + plotW / 2 - 50, pad.top + plotH / 2);
  }
  canvas.dataset.points = String(points.length);
}

function axes(ctx, pad, plotW, plotH, start, end, spec, barMax, lineMax) {
  ctx.strokeStyle = "#cbd5e0"; ctx.lineWidth = 1;
  ctx.strokeRect(pad.left, pad.top, plotW, plotH);
  ctx.fillStyle = "#4a5568";
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + plotH - (i / 4) * plotH;
    ctx.fillStyle = spec.bar.color;
    ctx.fillText(short(barMax * i / 4), 4, y + 4);
    ctx.fillStyle = spec.line.color;
    ctx.fillText(short(lineMax * i / 4), pad.left + plotW + 6, y + 4);
  }
  ctx.fillStyle = "#4a5568";
  for (let d = 0; d <= spec.days; d += Math.max(1, Math.round(spec.days / 7))) {
    const t = new Date(start + d * 86400000);
    const px = pad.left + (d / spec.days) * plotW;
    ctx.fillText(`${t.getUTCMonth() + 1}/${t.getUTCDate()}`, px - 12, pad.top + plotH + 16);
  }
}

function short(v) {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v >= 10 ? String(Math.round(v)) : v.toFixed(1);
}

function render(data) {
  document.getElementById("generated").textContent = `Updated ${when(data.generated_at)}`;
  const hours = data.stale_after_seconds / 3600;
  document.getElementById("threshold").textContent =
    `Green: last success under ${hours / 2} h ago; amber: under ${hours} h; red: older (front_sync.config ` +
    "stale_after_minutes). Rows with ~ are the planner's estimate.";
  for (const node of document.querySelectorAll(".days")) node.textContent = data.history_days;
  if (!data.warehouse_ready) notice("The warehouse has no front_sync tables yet: they appear after the first sync run.");
  else if (data.config_error) notice(`front_sync.config: ${data.config_error}`);
  else notice(null);
  fill("resources", data.resources.map(resourceRow), "No resources", 14);
  fill("errors", data.errors.map(errorRow), "No failed task tries", 7);
  fill("pending", data.pending.map(pendingRow), "The queue is empty", 7);
  const days = data.history_days;
  drawChart(document.getElementById("chart-runs"), data.runs, { days,
    bar: { key: "duration_seconds", color: "#3182ce" }, line: { key: "records", color: "#dd6b20" } });
  drawChart(document.getElementById("chart-quota"), data.runs, { days,
    bar: { key: "api_calls", color: "#805ad5" }, line: { key: "quota_remaining_min", color: "#38a169" } });
}

function notice(text) {
  const node = document.getElementById("notice");
  node.hidden = !text;
  node.textContent = text || "";
}

async function load() {
  try {
    const response = await fetch("data.json", { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401 || response.status === 403) {
      notice("Your Airflow session has expired: log in to Airflow again.");
      document.body.dataset.state = "unauthenticated";
      return;
    }
    const data = await response.json();
    if (!response.ok) throw new Error(data.detail || response.statusText);
    render(data);
    document.body.dataset.state = "ready";
  } catch (error) {
    notice(`Could not load the figures: ${error.message}`);
    document.body.dataset.state = "error";
  }
}

async function airflowApi(method, path, body) {
  const response = await fetch(`${AIRFLOW_BASE}api/v2/${path}`, {
    method, credentials: "same-origin", cache: "no-store",
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof payload.detail === "string" ? payload.detail : JSON.stringify(payload.detail || "");
    throw new Error(`${response.status} ${detail}`.trim());
  }
  return payload;
}

async function trigger(dagId, conf, note) {
  const result = document.getElementById("action-result");
  result.className = ""; result.textContent = `Triggering ${dagId}…`;
  try {
    const run = await airflowApi("POST", `dags/${encodeURIComponent(dagId)}/dagRuns`,
      { logical_date: null, conf, note });
    const dag = await airflowApi("GET", `dags/${encodeURIComponent(dagId)}`).catch(() => ({}));
    result.replaceChildren(el("span", `Triggered ${dagId}: `),
      uiLink(`dags/${encodeURIComponent(dagId)}/runs/${encodeURIComponent(run.dag_run_id)}`, run.dag_run_id),
      el("span", dag.is_paused ? " (the DAG is paused: the run waits until it is unpaused)" : ""));
    result.dataset.runId = run.dag_run_id;
    result.dataset.dagId = dagId;
  } catch (error) {
    result.className = "error";
    result.textContent = `Could not trigger ${dagId}: ${error.message}`;
  }
}

function conversationIds() {
  const text = document.getElementById("conversation-ids").value;
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

function utcIso(inputId) {
  const value = document.getElementById(inputId).value; // "YYYY-MM-DDTHH:MM", taken as UTC
  return value ? `${value}:00Z` : null;
}

function wireActions() {
  document.getElementById("refresh").addEventListener("click", load);
  document.getElementById("form-messages").addEventListener("submit", (event) => {
    event.preventDefault();
    const ids = conversationIds();
    const bad = ids.filter((id) => !/^cnv_[0-9a-z]+$/.test(id));
    if (bad.length) {
      const result = document.getElementById("action-result");
      result.className = "error";
      result.textContent = `Not conversation ids: ${bad.slice(0, 5).join(", ")}`;
      return;
    }
    trigger("front_sync_messages", { conversation_ids: ids }, "Triggered from the Front sync page");
  });
  document.getElementById("form-backfill").addEventListener("submit", (event) => {
    event.preventDefault();
    trigger("front_sync_backfill", { after: utcIso("backfill-after"), before: utcIso("backfill-before") },
      "Triggered from the Front sync page");
  });
}

document.addEventListener("DOMContentLoaded", () => {
  wireActions();
  load();
  window.setInterval(load, REFRESH_MS);
});
