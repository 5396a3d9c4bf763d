"""The backfill DAG's ``dry_run`` param: a gate before anything else that, on a dry run, estimates the load from a
few read-only calls, logs the report and skips every other task (nothing is written, not even migrations)."""

from __future__ import annotations

import logging
from typing import Any

from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import Variable
from airflow.sdk.exceptions import AirflowFailException

from front_sync.config import CONFIG_VARIABLE, FRONT_CONN_ID, SyncConfig
from front_sync.estimate.cli import run_estimate
from front_sync.estimate.cost import render
from front_sync.sync.front_client import open_front_hook
from front_sync.sync.window import epoch

log = logging.getLogger(__name__)


def dry_run_or_go_on(dry_run: Any, front_conn_id: str, dag_run: Any = None) -> bool:
    """False (skip the rest) after logging the estimate on a dry run; True otherwise, with no API call.

    A dry run whose token lacks a scope fails, naming each scope, so the run shows red before any load.
    """
    if not dry_run:
        log.info("dry_run is off: the load goes on")
        return True
    config = SyncConfig.from_json(Variable.get(CONFIG_VARIABLE, default=None))
    with open_front_hook(front_conn_id) as front:
        result = run_estimate(front, config, epoch(dag_run.run_after))
    for line in render(result).splitlines():
        log.info("%s", line)
    if result.sample.scope_errors:
        missing = "; ".join(f"{path}: {problem}" for path, problem in sorted(result.sample.scope_errors.items()))
        raise AirflowFailException(
            f"The token of connection {front_conn_id!r} cannot read everything the sync reads: {missing}"
        )
    log.info("dry run: nothing written; the other tasks are skipped")
    return False


class DryRunGate(ShortCircuitOperator):
    """Runs the estimate instead of the load when the DAG's ``dry_run`` param is true (see the module docstring).

    Args:
        dry_run: the param, templated (``"{{ params.dry_run }}"``; the DAG renders native objects).
        front_conn_id: the Front connection to sample.
    """

    def __init__(
        self, *, dry_run: Any = "{{ params.dry_run }}", front_conn_id: str = FRONT_CONN_ID, **kwargs: Any
    ) -> None:
        super().__init__(
            python_callable=dry_run_or_go_on,
            ignore_downstream_trigger_rules=True,
            op_kwargs={"dry_run": dry_run, "front_conn_id": front_conn_id},
            **kwargs,
        )
