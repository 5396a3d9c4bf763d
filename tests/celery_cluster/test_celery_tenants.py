"""Two Front companies as two tenants of one native Celery cluster (scripts/airflow_celery.sh with
FRONT_SYNC_TENANTS): two simulator processes, each with its own data, token and rate limit, and one warehouse
database per tenant on the cluster's PostgreSQL. Both tenants' backfill, incremental and full DAGs run at the same
time on both workers; each warehouse must equal its own company's ground truth, ids only one company has must be
absent from the other's warehouse, each warehouse's audit rows, rate budget and watermarks are its tenant's, each
simulator saw only its own token (no 401) and answered 429 to at most 1 % of its calls.

About 4 minutes; `make test-celery-tenants` runs it alone. CELERY_SKIP=1 skips it. Its figures (tries per worker
per tenant, retries, calls and 429s per simulator, wall time) are printed: run pytest with -s.
"""

from __future__ import annotations

import pytest

from front_sync_testing.celery_cluster import harness


@pytest.mark.integration
@pytest.mark.timeout(480)
def test_two_companies_on_one_celery_cluster_each_warehouse_equals_its_own_truth_and_nothing_crosses():
    summary = harness.run(harness.VARIANTS["tenants"])
    report = harness.human(summary)
    print(report)
    assert "error" not in summary, report
    assert harness.problems(summary) == [], report
    assert sorted(summary["tenants"]) == ["acme", "globex"], report
    assert len(summary["runs"]) == 6, report  # backfill, incremental and full of each tenant
