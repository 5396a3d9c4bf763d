"""Issue 23 under the native Celery topology: front_default is an OAuth app whose access tokens live 20 s; the
backfill, incremental and full DAGs run across both workers with no try failed on a 401, exactly one refresh per
expiry (single-flight through the warehouse row lock), no refresh token sent twice, no OAuth token in any log or
database file, and the warehouse equal to the truth as an OAuth token sees it (no private inboxes).

`make test-celery-oauth` runs the same scenario (about 5 minutes). CELERY_SKIP=1 skips it. Its figures (tries,
refreshes, 401s) are printed: run pytest with -s.
"""

from __future__ import annotations

import pytest

from front_sync_testing.celery_cluster import harness


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_oauth_celery_run_refreshes_once_per_expiry_without_401_failures():
    summary = harness.run(harness.VARIANTS["oauth"])
    report = harness.human(summary)
    print(report)
    assert "error" not in summary, report
    assert harness.problems(summary) == [], report
    assert summary["oauth"]["refreshes"] >= 2, report  # the runs outlived several access tokens
