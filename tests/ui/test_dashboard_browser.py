"""The Front sync page in a real headless chromium, inside the Airflow UI started by `make airflow`'s script.

One Airflow for the module (about a minute and a half to start, while a real incremental sync fills the
warehouse): log in through the UI's login form, open the page from the UI's navigation, see the figures and the
charts, trigger runs from the page and find them through the REST API. Issue 22's findings, each as a person
meets them: a log link that lands on the task log (1), the connection list's Test button (2), a broken token
turning the status line red and its recovery green with the error resolved (3), "Sync now" on a directory row
(4), an open alert readable with Slack and SMTP unset (5), layouts at 390 and 1,440 px without horizontal
overflow (6). Screenshots go to pytest's temporary directory (the paths are printed).
"""

from __future__ import annotations

import json
import time
import urllib.parse

import psycopg
import pytest

from front_sync.resources import ALL_RESOURCES
from tests.integration.webhooks import store

from .conftest import front_connection_json, log_in, type_into

pytestmark = pytest.mark.integration

# The dashboard's document: inside the UI's iframe, or the page itself when opened at /front-sync/.
FRAME = "(document.querySelector('iframe')?.contentDocument || document)"
WRONG_TOKEN = "not-the-token"
RUN_TIMEOUT = 300


def in_frame(expression: str) -> str:
    """A JavaScript expression evaluated against the dashboard's document inside the UI's iframe."""
    return f"(() => {{ const doc = {FRAME}; if (!doc || !doc.body) return null; return ({expression}); }})()"


@pytest.fixture(scope="module")
def page(browser, synced, airflow_ui, screenshots):
    """A tab logged in to Airflow through its login form."""
    tab = browser.page()
    tab.navigate(airflow_ui.base_url + "/")
    log_in(tab, airflow_ui.password)
    yield tab
    tab.close()


def open_dashboard(page, airflow_ui):
    """The page on its own (the test below opens it inside the UI): no iframe that the UI may re-render."""
    page.navigate(airflow_ui.base_url + "/front-sync/")
    page.wait_for(in_frame("doc.body.dataset.state === 'ready'"), timeout=60, what="the dashboard's data")


def open_in_ui(page, airflow_ui):
    """Browse > Front sync in the UI's navigation: the page in the UI's (sandboxed) iframe."""
    page.navigate(airflow_ui.base_url + "/")
    page.wait_for(
        "[...document.querySelectorAll('button')].some(b => b.textContent.trim() === 'Browse')",
        what="the UI's navigation",
    )
    page.evaluate("[...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Browse').click()")
    page.wait_for(
        "[...document.querySelectorAll('[role=menuitem]')].find(e => e.textContent === 'Front sync')",
        what="Browse > Front sync",
    )
    page.evaluate("[...document.querySelectorAll('[role=menuitem]')].find(e => e.textContent === 'Front sync').click()")
    page.wait_for(
        "document.querySelector('iframe')?.contentDocument?.body?.dataset.state === 'ready'",
        timeout=60,
        what="the dashboard's data in the UI's frame",
    )


def overflow(page) -> int:
    """How far the dashboard's document is wider than its window (0: no horizontal scrolling)."""
    return page.evaluate(in_frame("doc.documentElement.scrollWidth - doc.documentElement.clientWidth"))


def shoot(page, path, width: int, height: int = 900):
    """The page at `width` CSS pixels: its overflow and a full-page screenshot."""
    page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 600)
    try:
        page.wait_for(in_frame("doc.body.dataset.state === 'ready'"), timeout=30, what="the page after resizing")
        time.sleep(0.5)  # the charts redraw on the resize event
        wider = overflow(page)
        shot = page.screenshot(path)
    finally:
        page.send("Emulation.clearDeviceMetricsOverride")
    print(f"\nscreenshot {width} px: {shot} (overflow {wider} px)")
    return wider


def wait_for_run(airflow_ui, dag_id, run_id, states, timeout=RUN_TIMEOUT):
    path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, run = airflow_ui.request("GET", path)
        except TimeoutError:  # the api-server answers slowly while the machine is busy: ask again
            continue
        assert status == 200, run
        if run["state"] in states or time.monotonic() > deadline:
            return run
        time.sleep(1)


def wait_idle(airflow_ui, dag_id, timeout=RUN_TIMEOUT):
    """Until the DAG has no queued or running run (the run unpausing created, a run waiting behind another)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = airflow_ui.request("GET", f"/api/v2/dags/{dag_id}/dagRuns?state=queued&state=running")
        assert status == 200, body
        if body["total_entries"] == 0:
            return
        time.sleep(1)
    pytest.fail(f"{dag_id} still has active runs after {timeout} s")


def trigger(airflow_ui, dag_id, conf=None):
    status, run = airflow_ui.request(
        "POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}}
    )
    assert status == 200, run
    return run["dag_run_id"]


def set_token(airflow_ui, token):
    status, body = airflow_ui.request(
        "PATCH",
        "/api/v2/connections/front_default?update_mask=password",
        {"connection_id": "front_default", "conn_type": "front", "password": token},
    )
    assert status == 200, body


def unpause(airflow_ui, dag_id):
    status, body = airflow_ui.request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    assert status == 200, body


def test_page_renders_with_data_inside_the_airflow_ui(page, airflow_ui, ui_simulator, screenshots):
    open_in_ui(page, airflow_ui)
    assert page.evaluate("document.querySelector('iframe').src") == airflow_ui.base_url + "/front-sync/"
    rows = page.evaluate(
        in_frame(
            "[...doc.querySelectorAll('#resources tbody tr')].map(tr => "
            "[tr.dataset.resource, ...[...tr.cells].map(td => td.textContent)])"
        )
    )
    assert [r[0] for r in rows] == [r.name for r in ALL_RESOURCES]
    contacts = next(r for r in rows if r[0] == "contacts")
    assert contacts[2].startswith("synced ") and contacts[4] == "150" and contacts[5] == "150"
    freshness = page.evaluate(
        in_frame("[...doc.querySelectorAll('td[data-freshness]')].map(td => td.dataset.freshness)")
    )
    assert set(freshness) == {"green"}
    assert page.evaluate(in_frame("doc.getElementById('status').dataset.state")) == "healthy"
    assert page.evaluate(in_frame("doc.getElementById('status').textContent")).startswith("Healthy")
    # Issue 21 Operations: the tenant named, and the real-time panel (no webhook received in this warehouse)
    tenant, state, summary = page.evaluate(
        in_frame(
            "['tenant-name', 'realtime', 'realtime-summary'].map(id => id === 'realtime' ? "
            "doc.getElementById(id).dataset.state : doc.getElementById(id).textContent)"
        )
    )
    assert tenant == "default" and state == "not-set-up" and summary.startswith("Real time is not set up"), summary
    for chart in ("chart-runs", "chart-quota"):
        points = page.evaluate(in_frame(f"doc.getElementById('{chart}').dataset.points"))
        assert int(points) >= 1
        coloured = page.evaluate(
            in_frame(
                f"(() => {{ const c = doc.getElementById('{chart}'); const d = c.getContext('2d')"
                ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
                "for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && !(d[i] > 200 && d[i + 1] > 200)) n++;"
                "return n; })()"
            )
        )
        assert coloured > 500, f"{chart} looks empty ({coloured} drawn pixels)"
    # per-resource split and a tooltip on the run's bar
    legend = page.evaluate(
        in_frame("[...doc.querySelectorAll('#legend-records .legend-item')].map(e => e.textContent)")
    )
    assert "contacts" in legend and "conversations" in legend
    tip = page.evaluate(
        in_frame(
            "(() => { const c = doc.getElementById('chart-runs'); const hit = c.hits[c.hits.length - 1];"
            "const box = c.getBoundingClientRect(); c.dispatchEvent(new MouseEvent('mousemove', {clientX: box.left + "
            "hit.x, clientY: box.top + 100, bubbles: true})); return doc.getElementById('tooltip').innerText; })()"
        )
    )
    assert "records" in tip and "contacts: 150" in tip, tip
    page.screenshot(screenshots / "dashboard-in-ui.png")
    assert not [e for e in page.console_errors if "front-sync" in e or "dashboard" in e or "sandbox" in e]
    open_dashboard(page, airflow_ui)
    assert shoot(page, screenshots / "dashboard-healthy.png", 1440) <= 0


@pytest.mark.timeout(600)
def test_realtime_panel_shows_the_webhooks_received_and_applied(
    page, airflow_ui, ui_warehouse, ui_simulator, simulator_server, screenshots
):
    """Issue 21 Operations in the browser: webhooks stored as the receiver stores them and applied by a real
    front_sync_realtime run turn the panel from "not set up" to receiving, with the last webhook, the lag and
    nothing pending; the page stays healthy. Its screenshot is docs/dashboard-healthy.png."""
    from front_sync_testing.dags import parse_dags

    changed = [*ui_simulator.mutate("new_inbound", count=2)["events"], *ui_simulator.mutate("tag", count=2)["events"]]
    events = [e for e in ui_simulator.truth("events")["_results"] if e["id"] in set(changed)]
    assert len(events) == len(changed) == 4
    store(ui_warehouse, events)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_FRONT_WAREHOUSE", ui_warehouse)
        mp.setenv("AIRFLOW_CONN_FRONT_DEFAULT", front_connection_json(simulator_server.base_url))
        assert parse_dags().dags["front_sync_realtime"].test().state == "success"
    open_dashboard(page, airflow_ui)
    state, summary, figures = page.evaluate(
        in_frame(
            "[doc.getElementById('realtime').dataset.state, doc.getElementById('realtime-summary').textContent,"
            "Object.fromEntries([...doc.querySelectorAll('#realtime-figures dd')].map(d => [d.dataset.figure,"
            " d.textContent]))]"
        )
    )
    assert state == "receiving" and summary.startswith("Last webhook received "), summary
    assert figures["lag"].startswith("p50 ") and "(4 applied)" in figures["lag"], figures
    assert (figures["pending"], figures["rejected"]) == ("none", "none"), figures
    assert page.evaluate(in_frame("doc.getElementById('status').dataset.state")) == "healthy"
    assert shoot(page, screenshots / "dashboard-healthy-realtime.png", 1440) <= 0


def test_connection_list_test_button_right_and_wrong_token(page, airflow_ui, screenshots):
    """Finding 2: the list's Test sent port 0 for front_default and got a bare "Bad Request" either way."""

    def click_test():
        page.navigate(airflow_ui.base_url + "/connections")
        button = (
            "[...document.querySelectorAll('tr')].find(tr => tr.textContent.includes('front_default'))"
            "?.querySelector('button[aria-label=\"Test Connection\"]')"
        )
        page.wait_for(button, timeout=60, what="front_default's Test button")
        page.evaluate(f"{button}.click()")

    click_test()
    text = page.wait_for(
        "[...document.querySelectorAll('[role=status], [data-scope=toast]')].map(e => e.innerText)"
        ".find(t => t.includes('Connected to Front') || t.includes('Bad Request') || "
        "t.includes('differs'))",
        timeout=60,
        what="the test's answer",
    )
    assert "Connected to Front company" in text, text
    page.screenshot(screenshots / "connection-test-ok.png")
    set_token(airflow_ui, WRONG_TOKEN)
    try:
        click_test()
        text = page.wait_for(
            "[...document.querySelectorAll('[role=status], [data-scope=toast]')]"
            ".map(e => e.innerText).find(t => t.includes('401') || t.includes('Bad Request'))",
            timeout=60,
            what="the wrong token's answer",
        )
        assert "this connection's API token field" in text and "scope" not in text, text
        page.screenshot(screenshots / "connection-test-wrong-token.png")
    finally:
        set_token(airflow_ui, "test-token")


@pytest.mark.timeout(600)
def test_triggers_from_the_page_start_dag_runs(page, airflow_ui, ui_warehouse, screenshots):
    open_dashboard(page, airflow_ui)
    unpause(airflow_ui, "front_sync_messages")
    with psycopg.connect(ui_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM front.conversations ORDER BY id LIMIT 2")
        ids = [r[0] for r in cur.fetchall()]
    type_into(page, "#conversation-ids", "\n".join(ids), root=FRAME)
    page.evaluate(f"{FRAME}.querySelector('#form-messages button[type=submit]').click()")
    dag_id, run_id = page.wait_for(
        in_frame(
            "doc.getElementById('form-result').dataset.runId && "
            "[doc.getElementById('form-result').dataset.dagId, "
            "doc.getElementById('form-result').dataset.runId]"
        ),
        timeout=30,
        what="the trigger's answer",
    )
    assert dag_id == "front_sync_messages"
    run = wait_for_run(airflow_ui, dag_id, run_id, {"success", "failed"})
    assert run["conf"] == {"conversation_ids": ids}
    assert run["triggering_user_name"] == "admin" and "Front sync page" in (run["note"] or "")
    assert run["state"] == "success", run

    # finding 6: a bad id in a trigger (the UI's form, the REST API) reads as words, not a jsonschema dump
    status, body = airflow_ui.request(
        "POST",
        "/api/v2/dags/front_sync_messages/dagRuns",
        {"logical_date": None, "conf": {"conversation_ids": ["abc"]}},
    )
    assert status == 400 and "is not a Front conversation id" in body["detail"], body
    assert "Failed validating" not in body["detail"] and "schema" not in body["detail"]

    page.evaluate(f"{FRAME}.querySelector('#backfill-after').value = '2026-01-01T00:00'")
    page.evaluate(f"{FRAME}.querySelector('#form-backfill button[type=submit]').click()")
    page.wait_for(
        in_frame("doc.getElementById('form-result').dataset.dagId === 'front_sync_backfill'"),
        what="the backfill trigger's answer",
    )
    run_id = page.evaluate(in_frame("doc.getElementById('form-result').dataset.runId"))
    status, run = airflow_ui.request(
        "GET", f"/api/v2/dags/front_sync_backfill/dagRuns/{urllib.parse.quote(run_id, safe='')}"
    )
    assert status == 200 and run["conf"]["after"] == "2026-01-01T00:00:00Z" and run["conf"]["before"] is None

    page.evaluate(f"{FRAME}.getElementById('test-connection').click()")
    result = page.wait_for(
        in_frame(
            "doc.getElementById('connection-result').dataset.ok && doc.getElementById('connection-result').textContent"
        ),
        timeout=60,
        what="the page's connection test",
    )
    assert result.startswith("Works") and "Connected to Front company" in result, result


@pytest.mark.timeout(600)
def test_error_log_link_lands_on_the_task_log(page, airflow_ui, ui_warehouse, screenshots):
    """Finding 1: inside the UI the page sits in a sandboxed frame; its log links did nothing."""
    status, run = airflow_ui.request(
        "POST",
        "/api/v2/dags/front_sync_messages/dagRuns",
        {"logical_date": None, "conf": {"conversation_ids": ["cnv_1"]}},
    )
    assert status == 200, run
    wait_for_run(airflow_ui, "front_sync_messages", run["dag_run_id"], {"success", "failed"})
    with psycopg.connect(ui_warehouse) as conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO front.sync_logs (run_id, dag_id, task_id, try_number, resource, sync_type,
                           status, completed_at, error_message)
                       VALUES (%s, 'front_sync_messages', 'sync_messages', 1, 'messages', 'on_demand', 'failed',
                               now(), 'FrontRetryableError: GET /conversations/cnv_1/messages 503')""",
            (run["dag_run_id"],),
        )
    open_in_ui(page, airflow_ui)
    link = in_frame(
        "[...doc.querySelectorAll('#errors a')].find(a => a.href.includes("
        f"{json.dumps(urllib.parse.quote(run['dag_run_id'], safe=''))}))"
    )
    page.wait_for(f"!!{link}", what="the error's log link")
    page.evaluate(f"{link}.click()")
    page.wait_for(
        "location.pathname.endsWith('/tasks/sync_messages') && document.body.innerText.includes("
        "'sync_messages') && !document.body.innerText.includes('Page Not Found')",
        timeout=30,
        what="the task instance page in the UI",
    )
    assert urllib.parse.quote(run["dag_run_id"], safe="") in page.evaluate("location.pathname")
    page.wait_for("document.body.innerText.includes('Log')", timeout=30, what="the task's log")
    page.screenshot(screenshots / "task-log.png")
    assert not [e for e in page.console_errors if "sandbox" in e or "navigate" in e.lower()], page.console_errors


@pytest.mark.timeout(1500)  # four DAG runs under the LocalExecutor, on a shared machine
def test_a_broken_token_turns_the_page_red_then_green_with_the_error_resolved(page, airflow_ui, screenshots):
    """Finding 3 (status follows the last run, upstream_failed shows, errors resolve) and 5 (the monitor's alert
    on the page with Slack and SMTP unset)."""
    unpause(airflow_ui, "front_sync_incremental")
    set_token(airflow_ui, WRONG_TOKEN)
    try:
        run_id = trigger(airflow_ui, "front_sync_incremental")
        assert wait_for_run(airflow_ui, "front_sync_incremental", run_id, {"success", "failed"})["state"] == "failed"
        wait_idle(airflow_ui, "front_sync_incremental")
        unpause(airflow_ui, "front_sync_monitor")
        monitor = trigger(airflow_ui, "front_sync_monitor")
        assert wait_for_run(airflow_ui, "front_sync_monitor", monitor, {"success", "failed"})["state"] == "success"
    finally:
        set_token(airflow_ui, "test-token")
    open_dashboard(page, airflow_ui)
    assert page.evaluate(in_frame("doc.getElementById('status').dataset.state")) == "failing"
    assert page.evaluate(in_frame("doc.getElementById('status').textContent")).startswith("Failing since")
    messages = in_frame("doc.querySelector('tr[data-resource=messages] td[data-freshness]')")
    assert page.evaluate(f"{messages}.dataset.freshness") == "red"
    assert page.evaluate(f"{messages}.dataset.lastState") == "upstream_failed"
    assert "an earlier task failed" in page.evaluate(f"{messages}.textContent")
    errors = page.evaluate(
        in_frame(
            "[...doc.querySelectorAll('#errors tbody tr')].map(tr => [tr.dataset.resource, "
            "tr.dataset.resolved, tr.textContent])"
        )
    )
    auth = [e for e in errors if "401" in e[2]]
    assert auth and {e[1] for e in auth} == {"no"}, errors
    alerts = page.evaluate(in_frame("doc.getElementById('alerts').innerText"))
    assert "failure_rate" in alerts and "Not sent anywhere" in alerts and "runbook" in alerts, alerts
    print(f"\nscreenshot: {page.screenshot(screenshots / 'dashboard-failing.png')}")

    run_id = trigger(airflow_ui, "front_sync_incremental")
    assert wait_for_run(airflow_ui, "front_sync_incremental", run_id, {"success", "failed"})["state"] == "success"
    wait_idle(airflow_ui, "front_sync_incremental")
    open_dashboard(page, airflow_ui)
    resolved = page.evaluate(
        in_frame(
            "[...doc.querySelectorAll('#errors tbody tr')].filter(tr => "
            "tr.textContent.includes('401')).map(tr => tr.dataset.resolved)"
        )
    )
    assert resolved and set(resolved) == {"yes"}, resolved
    freshness = page.evaluate(
        in_frame("[...doc.querySelectorAll('td[data-freshness]')].map(td => td.dataset.freshness)")
    )
    assert set(freshness) == {"green"}, freshness
    # healthy again but for the monitor's alert, which stays open until the monitor's next run clears it
    monitor = trigger(airflow_ui, "front_sync_monitor")
    assert wait_for_run(airflow_ui, "front_sync_monitor", monitor, {"success", "failed"})["state"] == "success"
    open_dashboard(page, airflow_ui)
    state = page.evaluate(in_frame("doc.getElementById('status').dataset.state"))
    text = page.evaluate(in_frame("doc.getElementById('status').textContent"))
    assert state in ("healthy", "degraded") and "failed" not in text, text


@pytest.mark.timeout(900)
def test_sync_now_on_a_directory_row_changes_its_last_sync(page, airflow_ui, screenshots):
    """Finding 4: the button ran the whole DAG, whose directory task was skipped; its feedback was off-screen."""
    open_dashboard(page, airflow_ui)
    row = in_frame("doc.querySelector('tr[data-resource=tags]')")
    before = page.evaluate(f"{row}.dataset.lastSuccess")
    page.evaluate(f"{row}.querySelector('button').click()")
    state = page.wait_for(
        f"{row}.querySelector('.feedback').dataset.state", timeout=10, what="the row's immediate feedback"
    )
    assert state in ("starting", "queued", "running", "success")
    run_id = page.wait_for(f"{row}.querySelector('.feedback').dataset.runId", timeout=30, what="the run's id")
    status, run = airflow_ui.request(
        "GET", f"/api/v2/dags/front_sync_incremental/dagRuns/{urllib.parse.quote(run_id, safe='')}"
    )
    assert status == 200 and run["conf"] == {"resources": ["tags"], "force_directory_refresh": True}
    page.wait_for(
        f"{row}.querySelector('.feedback').dataset.state === 'success' && "
        f"{row}.dataset.lastSuccess !== {json.dumps(before)}",
        timeout=RUN_TIMEOUT,
        what="the row's new last sync",
    )
    assert page.evaluate(f"{row}.querySelector('.feedback').textContent").startswith("Synced")
    wait_idle(airflow_ui, "front_sync_incremental")


def test_layout_at_390_and_1440_px_without_horizontal_overflow(page, airflow_ui, screenshots):
    """Finding 6: at 390 px the table was 1,274 px wide."""
    open_dashboard(page, airflow_ui)
    assert shoot(page, screenshots / "dashboard-1440.png", 1440) <= 0
    assert shoot(page, screenshots / "dashboard-390.png", 390) <= 0


def test_empty_warehouse_reads_as_not_yet_synced(page, airflow_ui, ui_warehouse, screenshots):
    """Finding 6: the empty state was styled as an error. The schema is hidden for a moment (renamed back)."""
    with psycopg.connect(ui_warehouse, autocommit=True) as conn:
        conn.execute("ALTER SCHEMA front RENAME TO front_hidden")
        try:
            open_dashboard(page, airflow_ui)
            assert page.evaluate(in_frame("doc.getElementById('status').dataset.state")) == "empty"
            assert page.evaluate(in_frame("doc.getElementById('notice').hidden"))
            assert shoot(page, screenshots / "dashboard-empty.png", 1440) <= 0
        finally:
            conn.execute("ALTER SCHEMA front_hidden RENAME TO front")


def test_page_and_data_refuse_requests_without_login(airflow_ui, synced, browser):
    for path in ("/front-sync/", "/front-sync/data.json", "/front-sync/assets/dashboard.js"):
        status, body = airflow_ui.request("GET", path, token=None)
        assert status == 401, (path, body)
    tab = browser.page()
    tab.send("Network.clearBrowserCookies")
    tab.navigate(airflow_ui.base_url + "/front-sync/data.json")
    text = tab.wait_for("document.body && document.body.innerText", what="the refusal")
    assert "Not authenticated" in text and "resources" not in text
