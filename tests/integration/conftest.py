"""Fixtures of the end-to-end tests (the rest of their set-up is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from .truth import ROOT


@pytest.fixture(scope="module")
def dags(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags")).dags
