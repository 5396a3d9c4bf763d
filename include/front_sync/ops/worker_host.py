"""The host name Airflow records for a task instance, when several Celery workers share one machine.

Airflow stores ``[core] hostname_callable()`` in ``task_instance.hostname``; on one machine every worker would
report the same FQDN, so the UI and the metadata DB could not say which worker ran a try. A worker started with
``FRONT_SYNC_WORKER_HOSTNAME=worker1`` and ``AIRFLOW__CORE__HOSTNAME_CALLABLE=front_sync.ops.worker_host.hostname``
(scripts/airflow_celery.sh does both) reports its own name; without the variable this is Airflow's default.
"""

from __future__ import annotations

import os

HOSTNAME_ENV = "FRONT_SYNC_WORKER_HOSTNAME"


def hostname() -> str:
    """FRONT_SYNC_WORKER_HOSTNAME when set, else the machine's FQDN as Airflow's default callable gives it."""
    name = os.environ.get(HOSTNAME_ENV, "").strip()
    if name:
        return name
    from airflow.utils.net import getfqdn

    return getfqdn()
