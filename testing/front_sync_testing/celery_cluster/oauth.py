"""The oauth variant (issue 23): front_default as an OAuth app with short-lived access tokens across both workers."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from typing import Any

from front_sync_testing import ROOT, truth
from front_sync_testing.soak import infra

from .cluster import ClusterError, log
from .plan import (
    DAGS,
    FRONT_EXTRA,
    OAUTH_CALLBACK,
    OAUTH_LIFETIME,
    OAUTH_MARGIN,
)
from .run import Run

OAUTH_CONNECT = """
import requests
from urllib.parse import parse_qs, urlsplit
from front_sync.sync import oauth_connect
url, cookie = oauth_connect.start("front_default", "celery-harness")
query = parse_qs(urlsplit(requests.get(url, allow_redirects=False, timeout=30).headers["location"]).query)
oauth_connect.check_state("front_default", query["state"][0], cookie, "celery-harness")
print("connected to", oauth_connect.complete("front_default", query["code"][0], "celery-harness").company)
"""


class OAuthRun(Run):
    """Issue 23: front_default as an OAuth app whose access tokens live OAUTH_LIFETIME seconds, connected once
    before the runs (as an admin would with "Connect Front"); the workers share the token pair in the warehouse."""

    def front_connection(self) -> str:
        extra = {
            **FRONT_EXTRA,
            "auth": "oauth",
            "oauth_url": self.sim.base_url,
            "oauth_redirect_uri": OAUTH_CALLBACK,
            "oauth_refresh_margin_seconds": OAUTH_MARGIN,
        }
        oauth = self.sim.state.oauth
        return json.dumps(
            {
                "conn_type": "front",
                "host": self.sim.base_url,
                "login": oauth.client_id,
                "password": oauth.client_secret,
                "extra": extra,
            }
        )

    def setup(self) -> None:
        super().setup()
        self.sim.state.oauth.configure(access_token_lifetime=OAUTH_LIFETIME)
        env = {
            **self.cluster.env,
            "AIRFLOW_HOME": str(self.folder / "airflow"),
            "AIRFLOW_CONN_FRONT_WAREHOUSE": self.cluster.settings["WAREHOUSE_URL"],
        }
        done = subprocess.run(
            [infra.python(), "-c", OAUTH_CONNECT], env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise ClusterError(f"connecting Front (OAuth) failed:\n{done.stderr[-3000:]}")
        log(done.stdout.strip())
        self.sim.state.oauth.reset_stats()
        self.active_since = time.monotonic()

    def compare(self, label: str, tables: dict[str, Any] | None = None) -> None:
        since = time.monotonic()
        truth.assert_matches_truth(
            self.control, self.cluster.settings["WAREHOUSE_URL"], tables or truth.TABLES, viewer="oauth"
        )
        self.phase(f"compare_{label}_seconds", since)

    def report(self) -> dict[str, Any]:
        summary = super().report()
        wh = self.cluster.settings["WAREHOUSE_URL"]
        retired = [
            r[0]
            for r in self.cluster.query(
                "SELECT extract(epoch FROM retired_at) FROM front.oauth_refresh_tokens_used ORDER BY retired_at", url=wh
            )
        ]
        gaps = [round(b - a, 1) for a, b in zip(retired, retired[1:], strict=False)]
        failed = self.cluster.query(
            "SELECT task_id, try_number FROM task_instance WHERE dag_id = ANY(%s) AND state = 'failed' UNION ALL "
            "SELECT task_id, try_number FROM task_instance_history WHERE dag_id = ANY(%s) AND state = 'failed'",
            (list(DAGS), list(DAGS)),
        )
        failed_401 = self.cluster.query(
            "SELECT count(*) FROM front.sync_logs WHERE status = 'failed' AND error_message ~ '401|OAuth|reconnect'",
            url=wh,
        )[0][0]
        per_try = self.cluster.query(
            "SELECT coalesce(sum((metadata->>'oauth_refreshes')::int), 0), "
            "coalesce(sum((metadata->>'oauth_401_renewals')::int), 0) FROM front.sync_logs",
            url=wh,
        )[0]
        statuses: Counter = Counter()
        for endpoint in self.control.stats()["endpoints"].values():
            statuses.update(endpoint["statuses"])
        summary["oauth"] = {
            "access_token_lifetime": OAUTH_LIFETIME,
            "margin": OAUTH_MARGIN,
            **self.sim.state.oauth.stats(),
            "refreshes_stored": len(retired),
            "seconds_between_refreshes_min": min(gaps) if gaps else None,
            "refreshes_by_tasks": int(per_try[0]),
            "renewals_after_401": int(per_try[1]),
            "http_401": statuses.get("401", 0),
            "failed_tries": len(failed),
            "failed_tries_401": int(failed_401),
            "tokens_found_in_files": self.tokens_in_files(),
        }
        return summary

    def tokens_in_files(self) -> list[str]:
        """Files of the cluster (task logs, component logs, PostgreSQL's data and WAL) holding an issued token."""
        oauth = self.sim.state.oauth
        tokens = [t.encode() for t in (*oauth._access, *oauth._refresh, *oauth._retired)]
        found = []
        for path in self.folder.rglob("*"):
            if not path.is_file() or path.stat().st_size > 512 * 1024 * 1024:
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if any(token in data for token in tokens):
                found.append(str(path.relative_to(self.folder)))
        return found
