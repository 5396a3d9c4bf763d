"""
### front_sync_incremental

Hourly: brings the warehouse up to date with what changed in Front since each resource's watermark
(Variable `front_sync.watermark.<resource>`, minus an overlap). Migrations run first; each sync task writes one
`front.sync_logs` row and advances its watermark only after its data is committed.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable

from front_sync.config import API_POOL
from front_sync.notifications import SlackFailureAlert
from front_sync.operators import FrontSyncOperator, MigrateWarehouseOperator
from front_sync.resources import RESOURCES

with DAG(
    dag_id="front_sync_incremental",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["source:front", "front-sync", "incremental"],
    default_args={
        "owner": "data-platform",
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(minutes=50),
        "on_failure_callback": [SlackFailureAlert()],
    },
) as dag:
    migrate = MigrateWarehouseOperator(task_id="migrate_warehouse")
    for resource in RESOURCES:
        migrate >> FrontSyncOperator(
            task_id=f"sync_{resource.name}",
            resource=resource.name,
            pool=API_POOL,
            outlets=[Asset(f"front_sync.{resource.name}")],
        )
