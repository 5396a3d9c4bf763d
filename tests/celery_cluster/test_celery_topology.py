"""The native Celery topology (scripts/airflow_celery.sh: Redis, PostgreSQL, api-server, scheduler, dag-processor,
triggerer, two Celery workers) runs the backfill, incremental and full DAGs to success with tasks on both workers;
a worker killed with SIGKILL mid-task has its task retried on the other worker (consecutive tries of one task on
different workers: nothing a task needs is on a worker's disk), the warehouse then equals the simulator's ground
truth, and the script's shutdown leaves no process, port or data folder behind.

The short variant (about 4 minutes) runs here; `make test-celery-full` runs the full one. CELERY_SKIP=1 skips it.
Its figures (tries per worker, retries, the simulator's 429 count, wall time) are printed: run pytest with -s.
"""

from __future__ import annotations

import pytest

from front_sync_testing.celery_cluster import harness


@pytest.mark.integration
@pytest.mark.timeout(480)
def test_short_celery_run_spreads_tasks_survives_a_killed_worker_and_equals_the_truth():
    summary = harness.run(harness.VARIANTS["short"])
    report = harness.human(summary)
    print(report)
    assert "error" not in summary, report
    assert harness.problems(summary) == [], report
    assert len(summary["kills"]) == 1 and summary["runs"], report
