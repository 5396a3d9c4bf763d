"""What the Celery topology tests share: the harness (loaded by path: this folder has no __init__.py, or it would
hide the real `celery` package) and when they run at all."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def celery_harness():
    """tests/celery/harness.py as a module."""
    spec = importlib.util.spec_from_file_location("front_sync_celery_harness", HERE / "harness.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def pytest_collection_modifyitems(config, items):
    """Skip the cluster tests without redis-server (.ci/run installs it) or with CELERY_SKIP=1."""
    reason = ("CELERY_SKIP=1" if os.environ.get("CELERY_SKIP") == "1" else
              "redis-server is not installed (.ci/run installs it)" if shutil.which("redis-server") is None else None)
    if reason:
        for item in items:
            if item.path.parent == HERE:
                item.add_marker(pytest.mark.skip(reason=reason))
