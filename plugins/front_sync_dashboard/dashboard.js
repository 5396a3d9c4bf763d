// The Front sync page: fills itself from data.json and triggers DAG runs through Airflow's REST API.
// Same origin as the Airflow UI: the browser sends the user's session cookie, so Airflow authenticates and
// authorises every call. Values are written with textContent only (never as HTML). Nothing loads from elsewhere.
"use strict";

// The page lives at <airflow base>/front-sync/: the UI and its API are under <airflow base>.
const AIRFLOW_BASE = window.location.pathname.replace(/front-sync\/.*$/, "");
const REFRESH_MS = 60000;
const RUN_POLL_MS = 3000;
const PRIORITIES = { 0: "on demand", 1: "hourly", 2: "backfill", 3: "verification" };
const COLOURS = ["#3182ce", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f", "#5a67d8",
  "#e53e3e", "#2f855a", "#97266d", "#2c5282", "#9c4221", "#285e61", "#744210", "#4a5568"];
const TEST_KEY = "front-sync.connection-test";
let latest = null;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function num(value) {
  return value === null || value === undefined ? "–" : Number(value).toLocaleString("en-US");
}

function span(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1).replace(/\.0$/, "")} h`;
  return `${Math.round(s / 86400)} days`;
}

function when(iso) {
  return iso ? iso.replace("T", " ").replace(/(:\d\d)(\.\d+)?Z$/, "$1 UTC") : "–";
}

function secondsSince(iso) {
  return (Date.now() - Date.parse(iso)) / 1000;
}

// Links into the Airflow UI. The UI shows this page in a sandboxed frame that may not navigate the top window
// itself, but the frame is same-origin: the click is replayed on a link in the UI's own document.
function openInUi(event) {
  if (window.top === window || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  const doc = window.top.document;
  const link = doc.createElement("a");
  link.href = event.currentTarget.href;
  link.target = event.currentTarget.dataset.newTab ? "_blank" : "_self";
  if (link.target === "_blank") link.rel = "noopener";
  link.style.display = "none";
  doc.body.appendChild(link);
  link.click();
  link.remove();
}

function uiLink(path, text) {
  return outLink(AIRFLOW_BASE + path, text, false);
}

function outLink(href, text, newTab) {
  const a = el("a", text);
  a.href = href;
  a.target = newTab ? "_blank" : "_top";
  if (newTab) { a.rel = "noopener"; a.dataset.newTab = "1"; }
  a.addEventListener("click", openInUi);
  return a;
}

function taskPath(e) {
  const enc = encodeURIComponent;
  return `dags/${enc(e.dag_id)}/runs/${enc(e.run_id)}/tasks/${enc(e.task_id)}?try_number=${enc(e.try_number)}`;
}

function runPath(dagId, runId) {
  return `dags/${encodeURIComponent(dagId)}/runs/${encodeURIComponent(runId)}`;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) tr.appendChild(cell);
  return tr;
}

function cell(content, label, className) {
  const td = el("td", typeof content === "object" && content !== null ? null : content, className);
  if (content instanceof Node) td.appendChild(content);
  td.dataset.label = label;
  if (td.textContent === "–") td.classList.add("dash");
  return td;
}

const STATE_WORDS = { success: "succeeded", failed: "failed", upstream_failed: "did not run: an earlier task failed",
  skipped: "skipped", running: "running", queued: "queued", scheduled: "waiting to start",
  up_for_retry: "failed, will retry", up_for_reschedule: "waiting", deferred: "waiting" };

// "synced 5 min ago · next sync in 12 min" / "late by 40 min" / "last sync failed", with the colour of both.
function freshnessText(r, schedule) {
  const parts = [];
  if (r.age_seconds === null) parts.push("never synced");
  else parts.push(`synced ${span(r.age_seconds)} ago`);
  if (r.age_seconds !== null && r.age_seconds > r.threshold_seconds) {
    parts.push(`late by ${span(r.age_seconds - r.threshold_seconds)}`);
  } else if (schedule && schedule.paused) {
    parts.push("hourly DAG paused");
  } else if (schedule && schedule.next_run_at) {
    const due = -secondsSince(schedule.next_run_at);
    parts.push(due > 0 ? `next sync in ${span(due)}` : "next sync due now");
  }
  const state = r.last_state;
  // skipped: a small resource listed recently, or a run limited to other resources: nothing to report
  if (state && state !== "success" && state !== "skipped") parts.push(`last run ${STATE_WORDS[state] || state}`);
  return parts.join(" · ");
}

function strip(r) {
  const box = el("span", null, "strip");
  for (const run of r.runs) {
    const mark = el("span", null, `run run-${run.status}`);
    mark.title = `${when(run.started_at)}: ${run.status}, ${num(run.fetched)} records, ` +
      `${num(run.duration_seconds)} s (${run.sync_type})`;
    box.appendChild(mark);
  }
  if (!r.runs.length) box.appendChild(el("span", "no runs", "muted"));
  return box;
}

function resourceRow(r, schedule) {
  const run = r.last_run || {};
  const fresh = el("span");
  fresh.appendChild(el("span", null, `dot fresh-${r.health}`));
  fresh.appendChild(el("span", freshnessText(r, schedule)));
  const freshCell = cell(fresh, "Freshness");
  freshCell.title = r.last_success_at ? `last success ${when(r.last_success_at)}; late after ` +
    `${span(r.threshold_seconds)} without one` : "no successful sync yet";
  freshCell.dataset.freshness = r.health;
  freshCell.dataset.lastState = r.last_state || "";
  if (r.last_task && r.last_task.state && !["success", "skipped"].includes(r.last_task.state)) {
    freshCell.appendChild(document.createTextNode(" "));
    freshCell.appendChild(uiLink(taskPath(r.last_task), "log"));
  }
  const records = cell(num(run.fetched), "Records last run", "num");
  if (r.last_run) {
    records.title = `created ${num(run.created)}, updated ${num(run.updated)}, unchanged ${num(run.unchanged)}, ` +
      `deleted ${num(run.deleted)}, ${num(run.duration_seconds)} s, ${num(run.api_calls)} API calls`;
  }
  const rows = cell(num(r.rows), "Rows", "num");
  if (r.rows_estimated) { rows.textContent = `about ${num(r.rows)}`; rows.title = "estimated: the table is large"; }
  const waiting = [];
  if (r.dead_letters) waiting.push(`${num(r.dead_letters)} failed records`);
  if (r.conflicts) waiting.push(`${num(r.conflicts)} conflicts`);
  if (r.pending) waiting.push(`${num(r.pending)} queued`);
  const button = el("button", "Sync now");
  button.type = "button";
  button.title = `Run front_sync_incremental for ${r.resource} only` + (r.directory ? " (listed in full now)" : "");
  button.addEventListener("click", () => syncNow(r));
  const feedback = el("span", null, "feedback");
  const actions = el("span", null, "row-actions");
  actions.append(button, feedback);
  const tr = row([cell(r.resource, "Resource", "name"), freshCell, cell(strip(r), "Last runs"), records, rows,
    cell(waiting.join(", ") || "–", "Waiting for you", "num"), cell(actions, "")]);
  tr.dataset.resource = r.resource;
  tr.dataset.lastSuccess = r.last_success_at || "";
  return tr;
}

function fill(tableId, rows, emptyText, columns) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(...rows);
  if (!rows.length) {
    const td = el("td", emptyText, "muted empty");
    td.colSpan = columns;
    body.appendChild(row([td]));
  }
}

function errorRow(e) {
  const state = e.resolved_at ? el("span", `Resolved ${when(e.resolved_at)}`, "resolved")
    : el("span", "Open", "open");
  const seen = e.tries > 1 ? `${e.tries} times, ${when(e.first_seen)} to ${when(e.last_seen)}` : when(e.last_seen);
  const tr = row([cell(state, "State"), cell(`${e.resource} (${e.task_id})`, "Resource"),
    cell(e.error_message, "Error", "error"), cell(seen, "Seen"), cell(uiLink(taskPath(e), "log"), "")]);
  tr.dataset.resolved = e.resolved_at ? "yes" : "no";
  tr.dataset.resource = e.resource;
  return tr;
}

function pendingRow(p) {
  return row([cell(p.resource, "Resource"), cell(PRIORITIES[p.priority] || p.priority, "Priority"),
    cell(num(p.queued), "Queued", "num"), cell(num(p.claimed), "Being fetched", "num"),
    cell(num(p.retrying), "Retrying", "num"), cell(num(p.max_attempts), "Most attempts", "num"),
    cell(when(p.oldest_enqueued_at), "Oldest")]);
}

function alertItem(a) {
  const li = el("li", null, "alert");
  li.appendChild(el("strong", a.alert_key));
  li.appendChild(el("span", ` since ${when(a.since || a.opened_at)}: ${a.figure || ""}. `));
  if (a.runbook) {
    li.appendChild(/^https?:/.test(a.runbook) ? outLink(a.runbook, "What to do (runbook)", true)
      : el("span", `What to do: ${a.runbook}`));
  }
  li.appendChild(el("span", a.notified_at ? ` Sent ${when(a.notified_at)}.`
    : " Not sent anywhere (no Slack or e-mail channel delivered it): this page is where it shows.", "muted"));
  return li;
}

function statusText(data) {
  const s = data.status;
  if (s.state === "empty") return "No sync has run yet: the figures appear after the first run of front_sync_incremental.";
  if (s.state === "healthy") return "Healthy: every resource's last sync succeeded on time.";
  const since = s.since ? ` since ${when(s.since)}` : "";
  const bits = [];
  if (s.failing.length) bits.push(`last sync failed for ${s.failing.join(", ")}`);
  if (s.late.length) bits.push(`late or never synced: ${s.late.join(", ")}`);
  if (s.alerts) bits.push(`${s.alerts} open alert${s.alerts > 1 ? "s" : ""}`);
  return `${s.state === "failing" ? "Failing" : "Degraded"}${since}: ${bits.join("; ")}.`;
}

function render(data) {
  latest = data;
  document.getElementById("generated").textContent = `Updated ${when(data.generated_at)}`;
  const status = document.getElementById("status");
  status.textContent = statusText(data);
  status.dataset.state = data.status.state;
  document.body.classList.toggle("empty", data.status.state === "empty");
  const sched = data.schedule || {};
  document.getElementById("schedule").textContent = sched.paused ? `${sched.dag_id} is paused: no hourly syncs ` +
    "until it is unpaused (the toggle in the DAG list)." : sched.next_run_at ? `Next hourly sync at ` +
    `${when(sched.next_run_at)}.` : "";
  document.getElementById("connection-id").textContent = data.connection_id || "front_default";
  document.getElementById("threshold").textContent = `A resource is late when its last success is older than ` +
    `${span(data.stale_after_seconds)} (front_sync.config stale_after_minutes; the small resources, listed in ` +
    "full every few hours, get directory_refresh_minutes more). A failed last run shows red whatever its age.";
  notice(data.config_error ? `front_sync.config: ${data.config_error}` : null);
  document.getElementById("alerts").replaceChildren(...(data.alerts.length ? data.alerts.map(alertItem)
    : [el("li", "No open alerts.", "muted")]));
  fill("resources", data.resources.map((r) => resourceRow(r, data.schedule)),
    "Nothing synced yet: run front_sync_incremental (or wait for its schedule).", 7);
  for (const r of data.resources) showSync(r.resource);
  fill("errors", data.errors.map(errorRow), "No failed syncs in the last " + data.history_days + " days.", 5);
  fill("pending", data.pending.map(pendingRow), "Nothing waiting.", 7);
  drawCharts(data);
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

// Airflow's REST API answers a bad request with a detail that may be a list of pydantic errors: shown readably.
function detailText(detail) {
  if (typeof detail === "string") return detail.split("\n\n")[0];
  if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
  return detail ? JSON.stringify(detail) : "";
}

async function airflowApi(method, path, body) {
  const response = await fetch(`${AIRFLOW_BASE}api/v2/${path}`, {
    method, credentials: "same-origin", cache: "no-store",
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${response.status} ${detailText(payload.detail)}`.trim());
  return payload;
}

async function trigger(dagId, conf, note, result) {
  result.className = ""; result.textContent = `Starting ${dagId}…`;
  delete result.dataset.runId;
  try {
    const run = await airflowApi("POST", `dags/${encodeURIComponent(dagId)}/dagRuns`,
      { logical_date: null, conf, note });
    const dag = await airflowApi("GET", `dags/${encodeURIComponent(dagId)}`).catch(() => ({}));
    result.replaceChildren(el("span", `Started ${dagId}: `), uiLink(runPath(dagId, run.dag_run_id), run.dag_run_id),
      el("span", dag.is_paused ? " (the DAG is paused: the run waits until it is unpaused)" : ""));
    result.dataset.runId = run.dag_run_id;
    result.dataset.dagId = dagId;
    return run;
  } catch (error) {
    result.className = "error";
    result.textContent = `Could not start ${dagId}: ${error.message}`;
    return null;
  }
}

// "Sync now": this resource only (a directory resource is listed now, not skipped for being listed recently).
// The row says what happens (kept across the page's reloads), and the figures reload when the run ends.
const syncs = {};
const SYNC_WORDS = { starting: "Starting…", queued: "Sync queued", running: "Syncing…", success: "Synced",
  failed: "Sync failed", error: "Could not start" };

function showSync(resource) {
  const s = syncs[resource];
  const feedback = document.querySelector(`tr[data-resource="${resource}"] .feedback`);
  if (!s || !feedback) return;
  const button = feedback.parentNode.querySelector("button");
  button.disabled = !["success", "failed", "error"].includes(s.state);
  feedback.dataset.state = s.state;
  feedback.dataset.runId = s.runId || "";
  feedback.className = `feedback ${s.state === "success" ? "ok" : ["failed", "error"].includes(s.state) ? "error" : ""}`;
  const parts = [el("span", s.message || SYNC_WORDS[s.state] || s.state)];
  if (s.runId) parts.push(el("span", " "), uiLink(runPath("front_sync_incremental", s.runId), "run"));
  if (s.paused && !["success", "failed"].includes(s.state)) {
    parts.push(el("span", " (the DAG is paused: the run waits until it is unpaused)"));
  }
  feedback.replaceChildren(...parts);
}

async function syncNow(r) {
  syncs[r.resource] = { state: "starting" };
  showSync(r.resource);
  const result = el("span");
  const run = await trigger("front_sync_incremental", { resources: [r.resource],
    force_directory_refresh: r.directory }, `Sync now for ${r.resource} (Front sync page)`, result);
  if (!run) {
    syncs[r.resource] = { state: "error", message: result.textContent };
    showSync(r.resource);
    return;
  }
  syncs[r.resource] = { state: run.state || "queued", runId: run.dag_run_id, paused: /paused/.test(result.textContent) };
  showSync(r.resource);
  const path = `dags/front_sync_incremental/dagRuns/${encodeURIComponent(run.dag_run_id)}`;
  const poll = async () => {
    const found = await airflowApi("GET", path).catch(() => null);
    if (found) syncs[r.resource].state = found.state;
    if (found && (found.state === "success" || found.state === "failed")) {
      await load();
      showSync(r.resource);
      return;
    }
    showSync(r.resource);
    window.setTimeout(poll, RUN_POLL_MS);
  };
  window.setTimeout(poll, RUN_POLL_MS);
}

// The connection's Test, as Airflow's connection form runs it (FrontHook.test_connection: GET /me); the last
// answer is kept in this browser.
async function testConnection() {
  const id = document.getElementById("connection-id").textContent;
  const out = document.getElementById("connection-result");
  out.className = "muted"; out.textContent = "Testing…";
  let result;
  try {
    const answer = await airflowApi("POST", "connections/test", { connection_id: id, conn_type: "front" });
    result = { ok: answer.status, message: answer.message, at: new Date().toISOString() };
  } catch (error) {
    result = { ok: false, message: `The test could not run: ${error.message}`, at: new Date().toISOString() };
  }
  window.localStorage.setItem(TEST_KEY, JSON.stringify(result));
  showTest(result);
}

function showTest(result) {
  if (!result) return;
  const out = document.getElementById("connection-result");
  out.className = result.ok ? "ok" : "error";
  out.dataset.ok = result.ok ? "yes" : "no";
  out.textContent = `${result.ok ? "Works" : "Fails"} (tested ${when(result.at.replace(/\.\d+Z$/, "Z"))}): ` +
    result.message;
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
  const result = document.getElementById("form-result");
  document.getElementById("refresh").addEventListener("click", load);
  document.getElementById("test-connection").addEventListener("click", testConnection);
  document.getElementById("form-messages").addEventListener("submit", (event) => {
    event.preventDefault();
    const ids = conversationIds();
    const bad = ids.filter((id) => !/^cnv_[0-9a-z]+$/.test(id));
    if (bad.length) {
      result.className = "error";
      result.textContent = `Not conversation ids (they look like cnv_abc123): ${bad.slice(0, 5).join(", ")}`;
      return;
    }
    trigger("front_sync_messages", { conversation_ids: ids }, "Triggered from the Front sync page", result);
  });
  document.getElementById("form-backfill").addEventListener("submit", (event) => {
    event.preventDefault();
    trigger("front_sync_backfill", { after: utcIso("backfill-after"), before: utcIso("backfill-before") },
      "Triggered from the Front sync page", result);
  });
  try { showTest(JSON.parse(window.localStorage.getItem(TEST_KEY))); } catch { /* nothing kept */ }
}

document.addEventListener("DOMContentLoaded", () => {
  wireActions();
  load();
  window.setInterval(load, REFRESH_MS);
  window.addEventListener("resize", () => { if (latest) drawCharts(latest); });
});
