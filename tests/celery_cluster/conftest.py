"""When the Celery topology tests run at all (their harness is front_sync_testing.celery_cluster)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Skip the cluster tests without redis-server (.ci/run installs it) or with CELERY_SKIP=1."""
    reason = (
        "CELERY_SKIP=1"
        if os.environ.get("CELERY_SKIP") == "1"
        else "redis-server is not installed (.ci/run installs it)"
        if shutil.which("redis-server") is None
        else None
    )
    if reason:
        for item in items:
            if item.path.parent == HERE:
                item.add_marker(pytest.mark.skip(reason=reason))
