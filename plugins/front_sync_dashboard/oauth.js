// The Front sync page's "Connect Front" line (served by plugins/front_sync_oauth.py): whether each OAuth
// connection is connected, and the result of a connect that just returned here. Text only, never a token.
"use strict";

(function () {
  const OAUTH_BASE = window.location.pathname.replace(/front-sync\/.*$/, "front-sync-oauth/");
  const line = document.getElementById("oauth-status");
  if (!line) return;
  // Inside Airflow's frame a target=_top link may not navigate the top window: open it the page's own way.
  const connect = document.getElementById("connect-front");
  if (connect && typeof openInUi === "function") connect.addEventListener("click", openInUi);
  const returned = new URLSearchParams(window.location.search).get("oauth");
  fetch(`${OAUTH_BASE}status.json`, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : []))
    .then((rows) => {
      const parts = rows.map((row) => row.status === "connected"
        ? `${row.conn_id}: Front connected (by ${row.connected_by}, ${row.refresh_count} refreshes)`
        : `${row.conn_id}: reconnect Front needed (${row.status_message || "refused"})`);
      if (returned === "connected") parts.unshift("Front connected.");
      if (returned === "failed") parts.unshift("Connecting Front failed.");
      line.textContent = parts.length ? parts.join(" · ") : "No Front app connected (static API token in use).";
      line.dataset.state = rows.some((row) => row.status !== "connected") ? "reconnect"
        : rows.length ? "connected" : "none";
    })
    .catch(() => { line.textContent = "Front connection state unavailable."; });
})();
