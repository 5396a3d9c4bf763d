"""The Front sync page in a real headless chromium, inside the Airflow UI started by `make airflow`'s script.

One Airflow for the module (about a minute and a half to start, while a real incremental sync fills the
warehouse): log in through the UI's login form, open the page from the UI's navigation, see the figures and the
charts, trigger runs from the page and find them through the REST API, follow an error's log link into the UI.
Screenshots go to pytest's temporary directory (the path is printed).
"""

from __future__ import annotations

import json
import time
import urllib.parse

import psycopg
import pytest

from front_sync.resources import ALL_RESOURCES

pytestmark = pytest.mark.integration

# The dashboard's document: inside the UI's iframe, or the page itself when opened at /front-sync/.
FRAME = "(document.querySelector('iframe')?.contentDocument || document)"


def in_frame(expression: str) -> str:
    """A JavaScript expression evaluated against the dashboard's document inside the UI's iframe."""
    return f"(() => {{ const doc = {FRAME}; if (!doc || !doc.body) return null; return ({expression}); }})()"


def type_into(page, selector: str, text: str, frame: bool = False) -> None:
    """Focus a field and type into it through the browser's input pipeline (as a user would)."""
    root = FRAME if frame else "document"
    page.wait_for(f"{root}?.querySelector({json.dumps(selector)})", what=selector)
    page.evaluate(f"{root}.querySelector({json.dumps(selector)}).focus()")
    page.send("Input.insertText", text=text)


@pytest.fixture(scope="module")
def page(browser, synced, airflow_ui, screenshots):
    """A tab logged in to Airflow through its login form."""
    tab = browser.page()
    tab.navigate(airflow_ui.base_url + "/")
    tab.wait_for("document.querySelector('input[name=username]')", timeout=60, what="the login form")
    type_into(tab, "input[name=username]", "admin")
    type_into(tab, "input[name=password]", airflow_ui.password)
    tab.wait_for("!document.querySelector('button[type=submit]').disabled", what="the enabled login button")
    tab.evaluate("document.querySelector('button[type=submit]').click()")
    tab.wait_for("!location.pathname.startsWith('/auth') && document.cookie.includes('_token')", timeout=30,
                 what="the UI after login")
    yield tab
    tab.close()


def open_dashboard(page, airflow_ui):
    """The page on its own (the test above opens it inside the UI): no iframe that the UI may re-render."""
    page.navigate(airflow_ui.base_url + "/front-sync/")
    page.wait_for(in_frame("doc.body.dataset.state === 'ready'"), timeout=60, what="the dashboard's data")


def test_page_renders_with_data_inside_the_airflow_ui(page, airflow_ui, ui_simulator, screenshots):
    page.navigate(airflow_ui.base_url + "/")
    page.wait_for("[...document.querySelectorAll('button')].some(b => b.textContent.trim() === 'Browse')",
                  what="the UI's navigation")
    page.evaluate("[...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Browse').click()")
    page.wait_for("[...document.querySelectorAll('[role=menuitem]')].find(e => e.textContent === 'Front sync')",
                  what="Browse > Front sync")
    page.evaluate("[...document.querySelectorAll('[role=menuitem]')].find(e => e.textContent === 'Front sync')"
                  ".click()")
    page.wait_for(in_frame("doc.body.dataset.state === 'ready'"), timeout=60, what="the dashboard's data")
    assert page.evaluate("document.querySelector('iframe').src") == airflow_ui.base_url + "/front-sync/"
    rows = page.evaluate(in_frame("[...doc.querySelectorAll('#resources tbody tr')].map(tr => "
                                  "[tr.dataset.resource, ...[...tr.cells].map(td => td.textContent)])"))
    assert [r[0] for r in rows] == [r.name for r in ALL_RESOURCES]
    contacts = next(r for r in rows if r[0] == "contacts")
    assert contacts[3].startswith("success") and int(contacts[4]) == 150 and int(contacts[5]) == 150
    assert contacts[10] == "150"  # rows in the warehouse
    freshness = page.evaluate(in_frame("[...doc.querySelectorAll('td[data-freshness]')]"
                                       ".map(td => td.dataset.freshness)"))
    assert set(freshness) == {"green"}
    for chart in ("chart-runs", "chart-quota"):
        points = page.evaluate(in_frame(f"doc.getElementById('{chart}').dataset.points"))
        assert int(points) >= 1
        coloured = page.evaluate(in_frame(
            f"(() => {{ const c = doc.getElementById('{chart}'); const d = c.getContext('2d')"
            ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
            "for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && !(d[i] > 200 && d[i + 1] > 200)) n++;"
            "return n; })()"))
        assert coloured > 500, f"{chart} looks empty ({coloured} drawn pixels)"
    shot = page.screenshot(screenshots / "dashboard.png")
    print(f"\nscreenshot: {shot}")
    assert not [e for e in page.console_errors if "front-sync" in e or "dashboard" in e]


def wait_for_run(airflow_ui, dag_id, run_id, states, timeout=90):
    path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}"
    deadline = time.monotonic() + timeout
    while True:
        status, run = airflow_ui.request("GET", path)
        assert status == 200, run
        if run["state"] in states or time.monotonic() > deadline:
            return run
        time.sleep(1)


def trigger_result(page):
    return page.wait_for(in_frame("doc.getElementById('action-result').dataset.runId && "
                                  "[doc.getElementById('action-result').dataset.dagId, "
                                  "doc.getElementById('action-result').dataset.runId]"),
                         timeout=30, what="the trigger's answer")


def test_triggers_from_the_page_start_dag_runs(page, airflow_ui, ui_warehouse, screenshots):
    open_dashboard(page, airflow_ui)
    status, _ = airflow_ui.request("PATCH", "/api/v2/dags/front_sync_messages", {"is_paused": False})
    assert status == 200
    with psycopg.connect(ui_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM front.conversations ORDER BY id LIMIT 2")
        ids = [r[0] for r in cur.fetchall()]
    type_into(page, "#conversation-ids", "\n".join(ids), frame=True)
    page.evaluate(f"{FRAME}.querySelector('#form-messages button[type=submit]').click()")
    dag_id, run_id = trigger_result(page)
    assert dag_id == "front_sync_messages"
    run = wait_for_run(airflow_ui, dag_id, run_id, {"success", "failed"})
    assert run["conf"] == {"conversation_ids": ids}
    assert run["triggering_user_name"] == "admin" and "Front sync page" in (run["note"] or "")
    assert run["state"] == "success", run
    page.screenshot(screenshots / "dashboard-after-trigger.png")

    page.evaluate(in_frame("doc.querySelector('tr[data-resource=contacts] button').click()"))
    dag_id, run_id = page.wait_for(in_frame(
        "doc.getElementById('action-result').dataset.dagId === 'front_sync_incremental' && "
        "[doc.getElementById('action-result').dataset.dagId, doc.getElementById('action-result').dataset.runId]"),
        what="the incremental trigger's answer")
    status, run = airflow_ui.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")
    assert status == 200 and run["run_type"] == "manual"
    assert "paused" in page.evaluate(in_frame("doc.getElementById('action-result').textContent"))

    page.evaluate(f"{FRAME}.querySelector('#backfill-after').value = '2026-01-01T00:00'")
    page.evaluate(f"{FRAME}.querySelector('#form-backfill button[type=submit]').click()")
    page.wait_for(in_frame("doc.getElementById('action-result').dataset.dagId === 'front_sync_backfill'"),
                  what="the backfill trigger's answer")
    run_id = page.evaluate(in_frame("doc.getElementById('action-result').dataset.runId"))
    status, run = airflow_ui.request("GET", f"/api/v2/dags/front_sync_backfill/dagRuns/"
                                            f"{urllib.parse.quote(run_id, safe='')}")
    assert status == 200 and run["conf"]["after"] == "2026-01-01T00:00:00Z" and run["conf"]["before"] is None


def test_error_links_open_the_task_log_in_the_ui(page, airflow_ui, ui_warehouse, screenshots):
    status, run = airflow_ui.request("POST", "/api/v2/dags/front_sync_messages/dagRuns",
                                     {"logical_date": None, "conf": {"conversation_ids": ["cnv_1"]}})
    assert status == 200, run
    with psycopg.connect(ui_warehouse) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO front.sync_logs (run_id, dag_id, task_id, try_number, resource, sync_type,
                           status, completed_at, error_message)
                       VALUES (%s, 'front_sync_messages', 'sync_messages', 1, 'messages', 'on_demand', 'failed',
                               now(), 'FrontRetryableError: GET /conversations/cnv_1/messages 503')""",
                    (run["dag_run_id"],))
    open_dashboard(page, airflow_ui)
    href = page.wait_for(in_frame("doc.querySelector('#errors a')?.getAttribute('href')"), what="a log link")
    quoted = urllib.parse.quote(run["dag_run_id"], safe="")
    assert href == f"/dags/front_sync_messages/runs/{quoted}/tasks/sync_messages?try_number=1"
    assert page.evaluate(in_frame("doc.querySelector('#errors a').target")) == "_top"
    page.navigate(airflow_ui.base_url + href)
    page.wait_for("location.pathname.endsWith('/tasks/sync_messages') && document.body.innerText.includes("
                  "'sync_messages') && !document.body.innerText.includes('Page Not Found')", timeout=30,
                  what="the task instance page")
    page.screenshot(screenshots / "task-log.png")


def test_page_and_data_refuse_requests_without_login(airflow_ui, synced, browser):
    for path in ("/front-sync/", "/front-sync/data.json", "/front-sync/assets/dashboard.js"):
        status, body = airflow_ui.request("GET", path, token=None)
        assert status == 401, (path, body)
    tab = browser.page()
    tab.send("Network.clearBrowserCookies")
    tab.navigate(airflow_ui.base_url + "/front-sync/data.json")
    text = tab.wait_for("document.body && document.body.innerText", what="the refusal")
    assert "Not authenticated" in text and "resources" not in text
